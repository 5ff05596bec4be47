package policy

import (
	"fmt"
	"net/netip"
	"time"
)

// Override is one live, time-limited change that staff made: a grant for a
// permission cell, an approved unblock request, a warning click-through or
// an access suspension (a sanction). Storage keeps them; the engine takes
// the active set as an input beside the immutable snapshot.
type Override struct {
	ID   int64
	Kind string // grant, unblock, continue, suspension
	// Subject: exactly one of User, Group or Client. A Client override
	// (an unidentified device's warning click-through) applies only to
	// queries with no user: whoever logs in on that device later has
	// their own.
	User   string
	Group  string
	Client netip.Addr
	// Scope: a Category, or a Target (host or host/path); neither means
	// every site (a suspension).
	Category string
	Target   string
	Verdict  Verdict
	Created  time.Time
	Until    time.Time
	By       string
	Reason   string
	// Site is the school the override is for: a node enforces only its
	// own school's ("" on a write is a single school's "school").
	Site string
}

// Validate checks an override's shape.
func (o *Override) Validate() error {
	subjects := 0
	for _, set := range []bool{o.User != "", o.Group != "", o.Client.IsValid()} {
		if set {
			subjects++
		}
	}
	if subjects != 1 {
		return fmt.Errorf("override: give exactly one of a user, a group or a client address")
	}
	if o.Category != "" && o.Target != "" {
		return fmt.Errorf("override: give a category or a target, not both")
	}
	if o.Verdict != Allow && o.Verdict != Block {
		return fmt.Errorf("override: verdict must be allow or block, not %s", o.Verdict)
	}
	if o.Target != "" {
		if _, _, err := ParseTargetEntry(o.Target); err != nil {
			return fmt.Errorf("override: %w", err)
		}
	}
	if o.Until.IsZero() {
		return fmt.Errorf("override: no end time: every override is time-limited")
	}
	return nil
}

type liveOverride struct {
	*Override
	host, path string
}

// Overrides is an immutable set of live overrides, indexed by subject.
// Build a new one when the stored set changes.
type Overrides struct {
	byUser   map[string][]liveOverride
	byGroup  map[string][]liveOverride
	byClient map[netip.Addr][]liveOverride
	n        int
}

// NewOverrides indexes a list; invalid entries are skipped.
func NewOverrides(list []Override) *Overrides {
	o := &Overrides{byUser: map[string][]liveOverride{}, byGroup: map[string][]liveOverride{}, byClient: map[netip.Addr][]liveOverride{}}
	for i := range list {
		ov := &list[i]
		if ov.Validate() != nil {
			continue
		}
		lo := liveOverride{Override: ov}
		if ov.Target != "" {
			lo.host, lo.path, _ = ParseTargetEntry(ov.Target)
		}
		switch {
		case ov.User != "":
			o.byUser[ov.User] = append(o.byUser[ov.User], lo)
		case ov.Group != "":
			o.byGroup[ov.Group] = append(o.byGroup[ov.Group], lo)
		default:
			a := ov.Client.Unmap()
			o.byClient[a] = append(o.byClient[a], lo)
		}
		o.n++
	}
	return o
}

// Len is the number of overrides in the set.
func (o *Overrides) Len() int {
	if o == nil {
		return 0
	}
	return o.n
}
