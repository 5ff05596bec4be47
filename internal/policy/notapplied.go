package policy

import (
	"fmt"

	"schoolgate/internal/policy/lists"
)

// NotApplied is a live override or policy exception that matched the
// target and the client but did not decide, and why.
type NotApplied struct {
	Rule string `json:"rule"` // override:ID or exceptions[N], as Rule names them
	Why  string `json:"why"`
}

// NotApplied lists, for a decision Decide made on q, every override and
// exception that matched the target and the client yet did not decide:
// one its kind may not open the target's cells with ("the cell is block:
// rules.gambling.others", "the category is locked: adult"), and one a
// stricter or more specific rule beat. It walks what Decide walks, off the
// hot path: check and the console call it, the resolver and proxy never.
func (s *Snapshot) NotApplied(q *Query, d *Decision) []NotApplied {
	host := q.Host
	if h, err := lists.NormalizeHost(host); err == nil {
		host = h
	}
	cats := d.Categories
	var out []NotApplied
	seen := map[string]bool{}
	add := func(rule, why string) {
		if !seen[rule] {
			seen[rule] = true
			out = append(out, NotApplied{Rule: rule, Why: why})
		}
	}
	decided := s.Rule(d)
	beaten := "a stricter or more specific rule decided: " + decided

	if q.Overrides.Len() > 0 {
		consider := func(l []liveOverride) {
			for k := range l {
				o := &l[k]
				if !q.At.Before(o.Until) {
					continue
				}
				rule := fmt.Sprintf("override:%d", o.ID)
				if d.Override == o.Override {
					continue // it decided
				}
				if o.Category != "" {
					ci, ok := s.catIndex[o.Category]
					if !ok || !cats.Has(ci) {
						continue
					}
					var one Set
					one.Add(ci)
					switch why := s.refusal(o.Kind, o.Verdict, one, q.Groups, q.At); {
					case why != "":
						add(rule, why)
					case o.Verdict != d.Verdict:
						add(rule, beaten)
					}
					continue
				}
				if o.Target != "" && matchEntry(host, q.Path, o.host, o.path) < 0 {
					continue
				}
				if why := s.refusal(o.Kind, o.Verdict, cats, q.Groups, q.At); why != "" {
					add(rule, why)
				} else {
					add(rule, beaten)
				}
			}
		}
		if q.User != "" {
			consider(q.Overrides.byUser[q.User])
		} else if len(q.Overrides.byClient) > 0 && q.Client.IsValid() {
			consider(q.Overrides.byClient[q.Client.Unmap()])
		}
		q.Groups.Each(func(g int) {
			if g < len(s.groups) {
				consider(q.Overrides.byGroup[s.groups[g].name])
			}
		})
	}

	for i := range s.exceptions {
		x := &s.exceptions[i]
		if !x.anyGrp && x.groups.And(q.Groups).Empty() {
			continue
		}
		if !x.until.IsZero() && !q.At.Before(x.until) {
			continue
		}
		if matchEntry(host, q.Path, x.host, x.path) < 0 {
			continue
		}
		if x.verdict == Warn && d.Source == SourceOverride && d.Override != nil && d.Override.Kind == kindContinue {
			continue // it warned, and the click-through passed its warning
		}
		rule := fmt.Sprintf("exceptions[%d]", x.index)
		if why := s.refusal(kindException, x.verdict, cats, q.Groups, q.At); why != "" {
			add(rule, why)
		} else if d.Source != SourceException || s.exceptions[d.Exception].index != x.index {
			add(rule, beaten)
		}
	}
	return out
}
