package policy

import (
	"fmt"
	"sort"
	"strings"
)

// CategoryNames names the decision's categories, sorted.
func (s *Snapshot) CategoryNames(d *Decision) []string {
	out := []string{}
	d.Categories.Each(func(i int) { out = append(out, s.cats[i].name) })
	sort.Strings(out)
	return out
}

// Match is the entry that decided, as a person would read it. Entries of
// illegal categories are confidential (IWF and police lists are licensed on
// that condition): for them Match names the category, never the entry.
func (s *Snapshot) Match(d *Decision) string {
	if d.Illegal {
		return s.cats[d.Category].name
	}
	if d.Source == SourceOverride && d.Override != nil {
		if d.Override.Target != "" {
			return d.Override.Target
		}
		if d.Override.Category != "" {
			return s.matchString(d)
		}
		return "*"
	}
	return s.matchString(d)
}

func (s *Snapshot) matchString(d *Decision) string {
	return d.MatchHost + d.MatchPath
}

// Rule names the part of the policy file that decided, as a dotted path:
// rules.gambling.others, default.pupils-ks1, exceptions[0],
// categories.illegal.illegal, or override:ID.
func (s *Snapshot) Rule(d *Decision) string {
	switch d.Source {
	case SourceIllegal:
		return "categories." + s.cats[d.Category].name + ".illegal"
	case SourceOverride:
		if d.Override != nil {
			return fmt.Sprintf("override:%d", d.Override.ID)
		}
		return "override"
	case SourceException:
		return fmt.Sprintf("exceptions[%d]", s.exceptions[d.Exception].index)
	}
	prefix := "default"
	rw := s.defRow
	if d.Source == SourceRule {
		prefix = "rules." + s.cats[d.Category].name
		rw = s.rows[d.Category]
	}
	if d.Source == SourceDefault && (s.cfg.Default.Bare || !s.cfg.Default.Set) {
		return "default" // written as a bare verdict
	}
	if d.Cell >= 0 && rw != nil {
		return prefix + "." + s.groups[d.Cell].name
	}
	return prefix + ".others"
}

// Reason explains the decision in plain words, for people: check output,
// block pages, the console.
func (s *Snapshot) Reason(d *Decision) string {
	who := s.who(d)
	switch d.Source {
	case SourceIllegal:
		return fmt.Sprintf("%s is illegal content and is blocked for everyone", s.cats[d.Category].title)
	case SourceException:
		x := &s.exceptions[d.Exception]
		r := fmt.Sprintf("An exception %s %s for %s", verbFor(d.Verdict), x.entry, exceptionWho(s, x))
		if x.reason != "" {
			r += ": " + x.reason
		}
		if !x.until.IsZero() {
			r += fmt.Sprintf(" (until %s)", x.until.In(s.loc).Format("2 Jan 2006 15:04"))
		}
		return r
	case SourceOverride:
		o := d.Override
		var what string
		switch {
		case o.Target != "":
			what = o.Target
		case o.Category != "":
			what = s.titleOf(o.Category)
		default:
			what = "all sites"
		}
		subject := o.User
		if subject == "" {
			subject = o.Group
		}
		r := fmt.Sprintf("%s %s %s for %s until %s", kindWords(o.Kind), verbFor(o.Verdict), what, subject, o.Until.In(s.loc).Format("2 Jan 2006 15:04"))
		if o.By != "" {
			r += " (by " + o.By + ")"
		}
		return r
	}
	subject := "Sites in no category"
	if d.Category >= 0 {
		subject = s.cats[d.Category].title
		if d.Source == SourceDefault {
			subject += " (a category with no rule of its own)"
		}
	}
	if d.Schedule {
		state := "outside its allowed times"
		if d.Verdict == Allow {
			state = "at this time"
		}
		return fmt.Sprintf("%s %s %s for %s", subject, isWord(subject), map[Verdict]string{Allow: "allowed " + state, Block: "not allowed " + state}[d.Verdict], who)
	}
	switch {
	case d.NeedsPermission:
		return fmt.Sprintf("%s %s allowed for %s only with a member of staff's permission", subject, isWord(subject), who)
	case d.Verdict == Warn:
		return fmt.Sprintf("%s %s allowed for %s after a warning", subject, isWord(subject), who)
	case d.Verdict == Block:
		return fmt.Sprintf("%s %s not allowed for %s", subject, isWord(subject), who)
	}
	return fmt.Sprintf("%s %s allowed for %s", subject, isWord(subject), who)
}

func isWord(subject string) string {
	if strings.HasPrefix(subject, "Sites ") {
		return "are"
	}
	return "is"
}

func (s *Snapshot) who(d *Decision) string {
	names := s.GroupNames(d.Groups)
	if len(names) == 0 {
		return "everyone"
	}
	return strings.Join(names, ", ")
}

func exceptionWho(s *Snapshot, x *exception) string {
	if x.anyGrp {
		return "everyone"
	}
	return strings.Join(s.GroupNames(x.groups), ", ")
}

func (s *Snapshot) titleOf(cat string) string {
	if i, ok := s.catIndex[cat]; ok {
		return s.cats[i].title
	}
	return cat
}

func verbFor(v Verdict) string {
	switch v {
	case Allow:
		return "allows"
	case Warn:
		return "warns before"
	}
	return "blocks"
}

func kindWords(kind string) string {
	switch kind {
	case "grant":
		return "A staff grant"
	case "unblock":
		return "An approved unblock request"
	case "continue":
		return "A click-through on a warning"
	case "suspension":
		return "A suspension of access"
	}
	return "A live override"
}
