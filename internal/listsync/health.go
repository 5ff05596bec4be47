package listsync

import (
	"fmt"
	"strings"
	"time"

	"schoolgate/internal/policy"
)

// CategoryStatus is one category's lists as loaded in a snapshot.
type CategoryStatus struct {
	Name    string
	Line    int // the category's line in the policy file
	Entries int
	Sources []SourceStatus
}

// SourceStatus is one source of a category.
type SourceStatus struct {
	Source  string // path or url as written
	Line    int    // its line in the policy file
	URL     bool   // a url: source (only these can be missing or stale)
	Format  string
	File    string
	Entries int
	// Missing: a url: source never downloaded.
	Missing bool
	// Age of a url: source's copy since its last successful check.
	Age time.Duration
}

// Status reports every category of snap and the state of its sources'
// copies now (ages are read from the list cache, not the snapshot).
func Status(snap *policy.Snapshot, now time.Time) []CategoryStatus {
	stats := map[string][]policy.SourceStats{}
	for _, s := range snap.Sources() {
		stats[s.Category] = append(stats[s.Category], s)
	}
	var out []CategoryStatus
	for _, cat := range snap.Config().Categories {
		cs := CategoryStatus{Name: cat.Name, Line: cat.Line}
		got := stats[cat.Name]
		for j, src := range cat.Value.Sources {
			ss := SourceStatus{Source: src.Path + src.URL, Line: src.Line, URL: src.URL != "", Format: src.Format}
			if j < len(got) && got[j].Source == ss.Source {
				ss.File, ss.Entries, ss.Missing = got[j].File, got[j].Entries, got[j].Missing
			} else {
				ss.Missing = ss.URL // not loaded: count it as missing, never as fine
			}
			if ss.URL && !ss.Missing {
				c := ReadCopy(ss.File)
				if c.Exists {
					ss.Age = max(now.Sub(c.Checked), 0)
				}
				ss.Missing = !c.Exists
			}
			cs.Entries += ss.Entries
			cs.Sources = append(cs.Sources, ss)
		}
		out = append(out, cs)
	}
	return out
}

// Problem is a category that filters less than the policy says: it has
// no entries at all, or one of its url: sources was never downloaded or
// is older than lists.max_age. Its sources are the ones at fault.
type Problem struct {
	Category string
	Line     int
	Entries  int
	Sources  []SourceStatus
	// MaxAge is the lists.max_age in force (0: off).
	MaxAge time.Duration
}

// Empty reports a category with no entries: it blocks (or allows)
// nothing.
func (p Problem) Empty() bool { return p.Entries == 0 }

// Health reports the categories of snap with a problem, in declaration
// order. serve logs them at start and after each reload, validate exits 1
// on them, and the console can show them.
func Health(snap *policy.Snapshot, now time.Time) []Problem {
	maxAge := snap.Config().Lists.MaxAge
	var out []Problem
	for _, cs := range Status(snap, now) {
		p := Problem{Category: cs.Name, Line: cs.Line, Entries: cs.Entries, MaxAge: maxAge}
		for _, s := range cs.Sources {
			if p.Empty() || s.Missing || (s.URL && maxAge > 0 && s.Age > maxAge) {
				p.Sources = append(p.Sources, s)
			}
		}
		if p.Empty() || len(p.Sources) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// String says what is wrong in one line, naming each source and its line.
func (p Problem) String() string {
	var b strings.Builder
	if p.Empty() {
		b.WriteString("no entries: it filters nothing")
		if len(p.Sources) == 0 {
			b.WriteString(" (it has no sources)")
		}
	}
	for i, s := range p.Sources {
		if i > 0 || p.Empty() {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (line %d) ", s.Source, s.Line)
		switch {
		case s.Missing:
			b.WriteString("has not been downloaded yet (schoolgate lists update)")
		case s.URL && p.MaxAge > 0 && s.Age > p.MaxAge:
			fmt.Fprintf(&b, "was last checked %s ago, more than lists.max_age (%s)", roundAge(s.Age), roundAge(p.MaxAge))
		default:
			fmt.Fprintf(&b, "has %d entries", s.Entries)
		}
	}
	return b.String()
}

// roundAge prints a duration in days and hours when it is that long.
func roundAge(d time.Duration) string {
	if d >= 24*time.Hour {
		d = d.Round(time.Hour)
		days := d / (24 * time.Hour)
		if h := d % (24 * time.Hour) / time.Hour; h > 0 {
			return fmt.Sprintf("%dd%dh", days, h)
		}
		return fmt.Sprintf("%dd", days)
	}
	return d.Round(time.Second).String()
}
