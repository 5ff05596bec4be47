package proxy

import (
	"net/http"
	"strings"

	"schoolgate/internal/activity"
	"schoolgate/internal/policy"
	"schoolgate/internal/probe"
	"schoolgate/internal/proxy/pages"
)

// stagePages serves the block page's own pages under /.schoolgate/ on any
// host, as the identified visitor.
func stagePages(c *conn, r *request) action {
	p := c.s.d.Pages
	if p == nil || !strings.HasPrefix(r.req.URL.Path, pages.Prefix) {
		return next
	}
	w := newMemResponse()
	p.Serve(w, r.req, r.v)
	return r.answered(c.writeMem(r.req, w))
}

// stageAUA shows the acceptable-use agreement to a visitor who has not
// accepted its current version.
func stageAUA(c *conn, r *request) action {
	p := c.s.d.Pages
	if p == nil || r.probed || !p.Gates(r.v) {
		return next // a self-test probe has no agreement to accept
	}
	w := newMemResponse()
	if p.Gate(w, r.req, r.v) {
		return r.answered(c.writeMem(r.req, w))
	}
	return next
}

// stageDecide takes the policy decision on the full URL and builds its
// activity event; a warning the visitor already clicked through is
// allowed, and logged as such.
func stageDecide(c *conn, r *request) action {
	req := r.req
	host, err := normalize(req.URL.Hostname())
	if err != nil {
		c.refuseHead(headErr(400, "URL has a bad host name"))
		return r.answered(false)
	}
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if req.URL.RawQuery != "" {
		path += "?" + req.URL.RawQuery
	}
	r.host, r.snap, r.now = host, c.s.d.Engine.Snapshot(), c.s.d.Now()
	v := r.v
	q := policy.Query{Host: host, Path: path, User: v.User, Client: v.Client, Groups: v.Groups, At: r.now, Overrides: c.s.d.Engine.Overrides()}
	r.d = r.snap.Decide(&q)
	search := searchTerms(host, req.URL)
	r.ev = c.event(r.snap, &r.d, v, host, req.URL.String())
	r.ev.Search = search
	if r.d.Verdict == policy.Warn && c.s.d.Pages != nil && c.s.d.Pages.Continued(v, host, r.now) {
		r.ev.Verdict, r.ev.Rule = "allow", "continue"
		r.d.Verdict = policy.Allow
	}
	c.s.m.decided(c.point(), r.d.Verdict)
	return next
}

// stageBlock answers anything the decision did not allow with the block
// or warning page (a plain 403 without pages), logged with a reference.
func stageBlock(c *conn, r *request) action {
	if r.d.Verdict == policy.Allow {
		return next
	}
	ref := newRef()
	r.ev.Ref = ref
	w := newMemResponse()
	if r.probed {
		// A self-test probe is nobody's activity; its answer says what
		// the page was.
		verdict := "block"
		if r.d.Verdict == policy.Warn {
			verdict = "warn"
		}
		w.Header().Set(probe.VerdictHeader, verdict)
	} else {
		c.s.d.Activity.Log(r.ev)
	}
	// Who visited what is in the activity log (with its retention),
	// found by the reference: the system log keeps neither.
	c.s.d.Log.Debug("proxy: blocked", "ref", ref, "verdict", r.d.Verdict.String(), "rule", r.ev.Rule)
	p := c.s.d.Pages
	if p == nil {
		return r.answered(c.writeSimple(r.req, http.StatusForbidden, "This site is blocked by the school's filter.", w.Header()))
	}
	p.Blocked(w, r.req, r.v, pages.Blocked{URL: r.req.URL.String(), Host: r.host, Decision: r.d, Snapshot: r.snap, Ref: ref})
	return r.answered(c.writeMem(r.req, w))
}

// stageProbeAllowed answers a self-test probe the policy allowed: the
// proxy says so itself rather than fetch the site.
func stageProbeAllowed(c *conn, r *request) action {
	if !r.probed {
		return next
	}
	return r.answered(c.writeSimple(r.req, http.StatusOK, "Self-test probe: allowed.", http.Header{probe.VerdictHeader: {"allow"}}))
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
