package alerts

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// Fired is an alert a dry run would raise (folded as the store folds).
type Fired struct {
	Rule, Title string
	Severity    int
	Subject     string
	Count       int64
	First, Last time.Time
	Line        int // the sample line that raised it
}

// DryRun runs the rules over sample events read from r (name in
// messages), with no database, and returns the alerts they would raise.
//
// One event a line: an RFC 3339 time, then key=value fields (a value
// with spaces in double quotes); # starts a comment:
//
//	2026-03-09T10:00:00Z user=ada groups=pupils category=gambling verdict=block host=bet.example
//	2026-03-09T10:01:00Z user=ada groups=pupils search="how to self harm"
//	2026-03-09T10:02:00Z client=10.20.0.7 concern=got-through
//
// Keys: user, client, groups and category (comma lists), verdict (allow,
// warn, block; default block when a category is given, else allow),
// host, url, search, rule (the activity rule, e.g.
// dns.circumvention.canary), concern (a concern's kind).
func DryRun(c *config.Config, rs *Rules, r io.Reader, name string) ([]Fired, error) {
	illegal := map[string]bool{}
	for _, e := range c.Categories {
		illegal[e.Name] = e.Value.Illegal
	}
	m := &memAlerts{}
	e, err := New(rs, Options{Store: m})
	if err != nil {
		return nil, err
	}
	e.owner = true
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ev, kind, err := parseSample(line, illegal)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		m.line = n
		e.judge(rs, &ev, kind)
		e.flush(context.Background())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m.fired, nil
}

func parseSample(line string, illegal map[string]bool) (activity.Event, string, error) {
	fields, err := splitFields(line)
	if err != nil {
		return activity.Event{}, "", err
	}
	var ev activity.Event
	t, err := time.Parse(time.RFC3339, fields[0])
	if err != nil {
		return ev, "", fmt.Errorf("time %q: want RFC 3339, e.g. 2026-03-09T10:00:00Z", fields[0])
	}
	ev.Time, ev.Point = t, activity.PointProxy
	var kind string
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return ev, "", fmt.Errorf("%q: want key=value", f)
		}
		switch k {
		case "user":
			ev.User = v
		case "client":
			a, err := netip.ParseAddr(v)
			if err != nil {
				return ev, "", fmt.Errorf("client %q: not an IP address", v)
			}
			ev.Client = a
		case "groups":
			ev.Groups = strings.Split(v, ",")
		case "category":
			ev.Categories = strings.Split(v, ",")
		case "verdict":
			if v != "allow" && v != "warn" && v != "block" {
				return ev, "", fmt.Errorf("verdict %q: want allow, warn or block", v)
			}
			ev.Verdict = v
		case "host":
			ev.Host = v
		case "url":
			ev.URL = v
		case "search":
			ev.Search = v
		case "rule":
			ev.Rule = v
		case "concern":
			if !contains(config.ConcernKinds, v) {
				return ev, "", fmt.Errorf("concern %q: want one of %v", v, config.ConcernKinds)
			}
			kind, ev.Action = v, concernAction
		default:
			return ev, "", fmt.Errorf("unknown key %q (known: user, client, groups, category, verdict, host, url, search, rule, concern)", k)
		}
	}
	if ev.User == "" && !ev.Client.IsValid() {
		return ev, "", fmt.Errorf("give user= or client=")
	}
	if ev.Verdict == "" {
		ev.Verdict = "allow"
		if len(ev.Categories) > 0 {
			ev.Verdict = "block"
		}
	}
	for _, k := range ev.Categories {
		ev.Illegal = ev.Illegal || illegal[k]
	}
	return ev, kind, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// splitFields splits on spaces, keeping "quoted values" whole.
func splitFields(line string) ([]string, error) {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case (r == ' ' || r == '\t') && !quoted:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if quoted {
		return nil, fmt.Errorf("a quote is not closed")
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out, nil
}

// memAlerts folds hits as the store does, in memory, for a dry run.
type memAlerts struct {
	fired []Fired
	line  int
}

func (m *memAlerts) RaiseAlert(_ context.Context, h store.AlertHit) (int64, bool, error) {
	for i := len(m.fired) - 1; i >= 0; i-- {
		f := &m.fired[i]
		if f.Rule == h.Rule && f.Subject == h.Subject && !f.Last.Before(h.First.Add(-h.Fold)) {
			f.Count += h.Count
			if h.Last.After(f.Last) {
				f.Last = h.Last
			}
			return int64(i + 1), false, nil
		}
	}
	m.fired = append(m.fired, Fired{Rule: h.Rule, Title: h.Title, Severity: h.Severity, Subject: h.Subject, Count: h.Count, First: h.First, Last: h.Last, Line: m.line})
	return int64(len(m.fired)), true, nil
}

func (m *memAlerts) NewestEvent(context.Context) (int64, time.Time, error) {
	return 0, time.Time{}, nil
}
func (m *memAlerts) EventsAfter(_ context.Context, _ string, after int64, _ int, _ func(int64, *activity.Event) error) (int64, error) {
	return after, nil
}
func (m *memAlerts) ClaimAlertCursor(context.Context, string, string, time.Duration) (int64, bool, error) {
	return 0, true, nil
}
func (m *memAlerts) AdvanceAlertCursor(context.Context, string, string, int64) error { return nil }
