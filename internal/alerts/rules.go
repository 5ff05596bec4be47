package alerts

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// ErrNoKeywords: a search rule with no keyword matcher to run it.
var ErrNoKeywords = errors.New("search rules need the keyword lists")

// trigger is a rule's one trigger.
type trigger uint8

const (
	trigCategory trigger = iota
	trigSearch
	trigCircumvention
	trigConcern
	trigHours
)

// Rule is one compiled rule. Rules are immutable once compiled: a reload
// compiles a new set and swaps it in.
type Rule struct {
	Name, Title string
	Severity    int
	Escalate    time.Duration

	trig        trigger
	groups      map[string]bool // nil: every group
	cats        map[string]bool
	blockedOnly bool
	search      map[string]bool
	concern     map[string]bool // nil: every kind
	outside     *policy.Schedule
	threshold   *threshold
}

// Circumvention says whether the rule's alerts go to the technical role.
func (r *Rule) Circumvention() bool { return r.trig == trigCircumvention }

// threshold is "count within window per user or address".
type threshold struct {
	count  int
	window time.Duration
	byAddr bool
}

// Rules is the compiled rule set of one policy.
type Rules struct {
	Site  string
	Fold  time.Duration
	rules []*Rule
	kw    KeywordMatcher
}

// Rules lists the compiled rules (built-in ones included).
func (rs *Rules) List() []*Rule { return rs.rules }

// IllegalRule is the built-in rule for attempts on an illegal category
// that no rule of the policy names: severity 5, at once.
const IllegalRule = "illegal-content"

// circumventionWords mark a category as a filter-bypass one (VPNs,
// proxies, encrypted DNS) when a circumvention rule names none.
var circumventionWords = []string{"vpn", "proxy", "proxies", "doh", "bypass", "anonymi", "encrypted dns", "dns over https", "dns-over-https"}

// Compile builds the rule set of c. kw may be nil when no rule searches.
func Compile(c *config.Config, kw KeywordMatcher) (*Rules, error) {
	rs := &Rules{Site: c.Site.ID, Fold: c.Alerts.FoldWindow.D(), kw: kw}
	if rs.Fold <= 0 {
		rs.Fold = 10 * time.Minute
	}
	covered := map[string]bool{}
	for i := range c.Alerts.Rules {
		cr := &c.Alerts.Rules[i]
		r := &Rule{Name: cr.Name, Title: cr.Title, Severity: cr.Severity, Escalate: cr.EscalateAfter.D(), blockedOnly: cr.BlockedOnly}
		if r.Title == "" {
			r.Title = r.Name
		}
		if len(cr.Groups) > 0 {
			r.groups = set(cr.Groups)
		}
		switch cr.Trigger() {
		case "circumvention":
			r.trig = trigCircumvention
			r.cats = set(cr.Category)
			if len(cr.Category) == 0 {
				r.cats = circumventionCategories(c)
			}
		case "category", "threshold":
			r.trig = trigCategory
			r.cats = set(cr.Category)
			for _, k := range cr.Category {
				covered[k] = true
			}
		case "search":
			r.trig = trigSearch
			r.search = set(cr.Search)
			if kw == nil {
				return nil, fmt.Errorf("alerts: rule %s: %w", cr.Name, ErrNoKeywords)
			}
		case "concern":
			r.trig = trigConcern
			if len(cr.Concern) > 0 {
				r.concern = set(cr.Concern)
			}
		case "hours":
			r.trig = trigHours
			s, err := policy.CompileSchedule(c, cr.Hours.Outside)
			if err != nil {
				return nil, fmt.Errorf("alerts: rule %s: %w", cr.Name, err)
			}
			r.outside = s
		default:
			return nil, fmt.Errorf("alerts: rule %s: %w: no trigger", cr.Name, config.ErrInvalid)
		}
		if t := cr.Threshold; t != nil {
			r.threshold = &threshold{count: t.Count, window: t.Window.D(), byAddr: t.By == "address"}
		}
		rs.rules = append(rs.rules, r)
	}
	// Fail safe: an attempt on an illegal category always raises a
	// severity 5 alert, whether or not the school wrote a rule for it.
	var illegal []string
	for _, e := range c.Categories {
		if e.Value.Illegal && !covered[e.Name] {
			illegal = append(illegal, e.Name)
		}
	}
	if len(illegal) > 0 && !slices.ContainsFunc(rs.rules, func(r *Rule) bool { return r.Name == IllegalRule }) {
		rs.rules = append(rs.rules, &Rule{Name: IllegalRule, Title: "Illegal content", Severity: 5, trig: trigCategory, cats: set(illegal)})
	}
	return rs, nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// circumventionCategories are the policy's categories whose name or title
// says VPN, proxy or encrypted DNS (the starter policy's filter-bypass).
func circumventionCategories(c *config.Config) map[string]bool {
	m := map[string]bool{}
	for _, e := range c.Categories {
		text := strings.ToLower(e.Name + " " + e.Value.Title)
		for _, w := range circumventionWords {
			if strings.Contains(text, w) {
				m[e.Name] = true
				break
			}
		}
	}
	return m
}

// concernAction is the activity action of a "report a concern"; the
// engine learns of concerns through Engine.Concern (where they are
// stored, with their kind), not from this event.
const concernAction = "concern"

// applies reports whether ev (a concern of kind when kind is not "")
// meets the rule's trigger, before any threshold.
func (r *Rule) applies(rs *Rules, ev *activity.Event, kind string) bool {
	if r.groups != nil && !anyIn(ev.Groups, r.groups) && !(r.trig == trigConcern && len(ev.Groups) == 0) {
		return false
	}
	if kind != "" {
		return r.trig == trigConcern && (r.concern == nil || r.concern[kind])
	}
	if ev.Action == concernAction {
		return false
	}
	switch r.trig {
	case trigCategory:
		if r.blockedOnly && ev.Verdict != "block" {
			return false
		}
		return anyIn(ev.Categories, r.cats)
	case trigCircumvention:
		return strings.HasPrefix(ev.Rule, "dns.circumvention.") || strings.HasPrefix(ev.Rule, "destination") || anyIn(ev.Categories, r.cats)
	case trigSearch:
		if ev.Search == "" || rs.kw == nil {
			return false
		}
		for _, l := range rs.kw.MatchLists(ev.Search) {
			if r.search[l] {
				return true
			}
		}
		return false
	case trigHours:
		return ev.Action == "" && !r.outside.In(ev.Time)
	}
	return false
}

// applies reports whether any rule's trigger meets ev: only such events
// are judged, and only they need remembering against a second judging.
func (rs *Rules) applies(ev *activity.Event, kind string) bool {
	for _, r := range rs.rules {
		if r.applies(rs, ev, kind) {
			return true
		}
	}
	return false
}

func anyIn(xs []string, m map[string]bool) bool {
	for _, x := range xs {
		if m[x] {
			return true
		}
	}
	return false
}
