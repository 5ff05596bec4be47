package policy

import (
	"fmt"
	"time"
)

// Override is one live, time-limited change that staff made: a grant for a
// permission cell, an approved unblock request, a warning click-through or
// an access suspension (a sanction). Storage keeps them; the engine takes
// the active set as an input beside the immutable snapshot.
type Override struct {
	ID   int64
	Kind string // grant, unblock, continue, suspension
	// Subject: exactly one of User or Group.
	User  string
	Group string
	// Scope: a Category, or a Target (host or host/path); neither means
	// every site (a suspension).
	Category string
	Target   string
	Verdict  Verdict
	Created  time.Time
	Until    time.Time
	By       string
	Reason   string
}

// Validate checks an override's shape.
func (o *Override) Validate() error {
	if (o.User == "") == (o.Group == "") {
		return fmt.Errorf("override: give exactly one of a user or a group")
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
	byUser  map[string][]liveOverride
	byGroup map[string][]liveOverride
	n       int
}

// NewOverrides indexes a list; invalid entries are skipped.
func NewOverrides(list []Override) *Overrides {
	o := &Overrides{byUser: map[string][]liveOverride{}, byGroup: map[string][]liveOverride{}}
	for i := range list {
		ov := &list[i]
		if ov.Validate() != nil {
			continue
		}
		lo := liveOverride{Override: ov}
		if ov.Target != "" {
			lo.host, lo.path, _ = ParseTargetEntry(ov.Target)
		}
		if ov.User != "" {
			o.byUser[ov.User] = append(o.byUser[ov.User], lo)
		} else {
			o.byGroup[ov.Group] = append(o.byGroup[ov.Group], lo)
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

// NextExpiry is the earliest Until after now, or zero.
func (o *Overrides) NextExpiry(now time.Time) time.Time {
	var next time.Time
	if o == nil {
		return next
	}
	for _, m := range []map[string][]liveOverride{o.byUser, o.byGroup} {
		for _, l := range m {
			for _, x := range l {
				if x.Until.After(now) && (next.IsZero() || x.Until.Before(next)) {
					next = x.Until
				}
			}
		}
	}
	return next
}
