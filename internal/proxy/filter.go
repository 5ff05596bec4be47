package proxy

import (
	"net/http"
	"strings"

	"schoolgate/internal/activity"
	"schoolgate/internal/policy"
	"schoolgate/internal/proxy/pages"
)

// filter runs the local pages, the acceptable-use gate and the policy
// decision for one HTTP (or inspected HTTPS) request, then blocks, warns
// or forwards it.
func (c *conn) filter(req *http.Request, v pages.Visitor) bool {
	p := c.s.d.Pages
	if p != nil && strings.HasPrefix(req.URL.Path, pages.Prefix) {
		w := newMemResponse()
		p.Serve(w, req, v)
		return c.writeMem(req, w)
	}
	if p != nil && p.Gates(v) {
		w := newMemResponse()
		if p.Gate(w, req, v) {
			return c.writeMem(req, w)
		}
	}
	host, err := normalize(req.URL.Hostname())
	if err != nil {
		c.refuseHead(headErr(400, "URL has a bad host name"))
		return false
	}
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if req.URL.RawQuery != "" {
		path += "?" + req.URL.RawQuery
	}
	snap := c.s.d.Engine.Snapshot()
	now := c.s.d.Now()
	q := policy.Query{Host: host, Path: path, User: v.User, Client: v.Client, Groups: v.Groups, At: now, Overrides: c.s.d.Engine.Overrides()}
	d := snap.Decide(&q)
	search := searchTerms(host, req.URL)
	ev := c.event(snap, &d, v, host, req.URL.String())
	ev.Search = search
	if d.Verdict == policy.Warn && p != nil && p.Continued(v, host, now) {
		ev.Verdict, ev.Rule = "allow", "continue"
		d.Verdict = policy.Allow
	}
	c.s.m.decided(c.point(), d.Verdict)
	if d.Verdict != policy.Allow {
		ref := newRef()
		ev.Ref = ref
		c.s.d.Activity.Log(ev)
		// Who visited what is in the activity log (with its retention),
		// found by the reference: the system log keeps neither.
		c.s.d.Log.Debug("proxy: blocked", "ref", ref, "verdict", d.Verdict.String(), "rule", ev.Rule)
		if p == nil {
			return c.writeSimple(req, http.StatusForbidden, "This site is blocked by the school's filter.", nil)
		}
		w := newMemResponse()
		p.Blocked(w, req, v, pages.Blocked{URL: req.URL.String(), Host: host, Decision: d, Snapshot: snap, Ref: ref})
		return c.writeMem(req, w)
	}
	enforceSafeSearch(req, snap.SafeSearch(v.Groups))
	return c.forward(req, &ev)
}

// event describes a decision for the activity log. Entries of illegal
// categories stay confidential: the event names the category and host,
// never the full URL.
func (c *conn) event(snap *policy.Snapshot, d *policy.Decision, v pages.Visitor, host, url string) activity.Event {
	ev := activity.Event{
		Time:       c.s.d.Now(),
		Client:     c.client,
		User:       v.User,
		Groups:     snap.GroupNames(v.Groups),
		Host:       host,
		URL:        url,
		Categories: snap.CategoryNames(d),
		Verdict:    d.Verdict.String(),
		Illegal:    d.Illegal,
		Rule:       snap.Rule(d),
		Point:      activity.PointProxy,
	}
	if d.Illegal {
		ev.URL = ""
	}
	return ev
}

// normalize canonicalises a host name or IP literal for the policy.
func normalize(host string) (string, error) {
	return policy.NormalizeHost(host)
}
