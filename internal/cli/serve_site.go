package cli

import (
	"schoolgate/internal/activity"
	"schoolgate/internal/config"
)

// nodeSite is the school this node serves: the policy's site.id ("school"
// for a single school). What the node stores (activity, requests,
// concerns, click-throughs) belongs to it, and the live overrides feed
// loads only its overrides.
func (d *serveDeps) nodeSite() string {
	if id := d.engine.Snapshot().Config().Site.ID; id != "" {
		return id
	}
	return config.DefaultSiteID
}

// siteSink stamps the node's site on every activity event.
type siteSink struct {
	next activity.Sink
	site string
}

func (s siteSink) Log(ev activity.Event) {
	if ev.Site == "" {
		ev.Site = s.site
	}
	s.next.Log(ev)
}
