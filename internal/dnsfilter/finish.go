package dnsfilter

import (
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/policy"
)

// finish counts an answered query and logs its activity event (unless
// dns.log_queries is false, for privacy). It never blocks: the sink
// drops and counts when overloaded.
func (s *Server) finish(r *request) {
	s.finishAt(r, time.Now())
}

// finishAt is finish for a request answered at end (read once for a
// batch).
func (s *Server) finishAt(r *request, end time.Time) {
	s.m.byResult[r.res].Inc()
	s.m.duration.Observe(end.Sub(r.start).Seconds())
	v := r.v
	if r.gi == nil {
		return // malformed, refused or rate-limited before identify
	}
	if (r.res == resBlocked || r.res == resIllegal) && r.d.Category >= 0 && r.d.Category < len(v.cats) {
		v.cats[r.d.Category].blocks.Inc()
	}
	if !v.logQueries || r.probed {
		return // a self-test probe is nobody's activity
	}
	ev := activity.Event{
		Time:   r.now,
		Client: r.client.Addr().Unmap(),
		User:   r.user,
		Groups: r.gi.names,
		Host:   strings.Clone(r.name), // r.name is reused with r
		Point:  activity.PointDNS,
	}
	switch {
	case r.rule != "":
		ev.Verdict, ev.Rule = "block", r.rule
	case r.decided:
		d := &r.d
		ev.Verdict = d.Verdict.String()
		ev.Illegal = d.Illegal
		if !d.Categories.Empty() {
			ev.Categories = v.categoryNames(d)
		}
		ev.Rule = v.rule(d)
		if r.via != "" {
			if d.Illegal {
				ev.Rule += " (an alias of a blocked name)"
			} else {
				ev.Rule += " (an alias of " + r.via + ")"
			}
		}
	default:
		ev.Verdict = policy.Allow.String()
	}
	s.sink.Log(ev)
}
