package console

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// AlertEvidence finds an alert a may read and returns what to copy into
// an incident (the alerts engine provides it).
type AlertEvidence func(ctx context.Context, a safeguarding.Actor, id string) (any, error)

// errNoEvidence: the event, concern or alert named is not there (or not
// for this reader).
var errNoEvidence = errors.New("not found")

// eventKey names one activity event for linking: the block page's
// reference when it has one (what a pupil reads out to a teacher), else
// its time in microseconds, device and host.
func eventKey(e activity.Event) string {
	if e.Ref != "" {
		return e.Ref
	}
	return fmt.Sprintf("%d_%s_%s", e.Time.UnixMicro(), e.Client, e.Host)
}

// copiedEvent is an activity event as an incident keeps it.
type copiedEvent struct {
	Time       time.Time `json:"time"`
	Client     string    `json:"client"`
	User       string    `json:"user,omitempty"`
	Groups     []string  `json:"groups,omitempty"`
	Host       string    `json:"host"`
	URL        string    `json:"url,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	Verdict    string    `json:"verdict"`
	Illegal    bool      `json:"illegal,omitempty"`
	Rule       string    `json:"rule,omitempty"`
	Source     string    `json:"source"`
	Search     string    `json:"search,omitempty"`
	Action     string    `json:"action,omitempty"`
	Ref        string    `json:"ref,omitempty"`
}

// findEvent reads the event a key names, if the visitor may link it: a
// person's event needs the role that reads their activity, except that
// a pupil's event (or an unidentified device's) named by its block
// page's reference may be linked by anyone who may record an incident
// (the pupil showed them the page). Anything else is errNoEvidence or
// ErrForbidden.
func (c *Console) findEvent(ctx context.Context, v *visit, key string) (copiedEvent, error) {
	key = strings.TrimSpace(key)
	f := store.ActivityFilter{Limit: 20}
	byRef := !strings.Contains(key, "_")
	var host string
	if byRef {
		if key == "" || len(key) > 40 {
			return copiedEvent{}, errNoEvidence
		}
		f.Ref = key
	} else {
		parts := strings.SplitN(key, "_", 3)
		if len(parts) != 3 {
			return copiedEvent{}, errNoEvidence
		}
		us, err := strconv.ParseInt(parts[0], 10, 64)
		ip, err2 := netip.ParseAddr(parts[1])
		if err != nil || err2 != nil || parts[2] == "" {
			return copiedEvent{}, errNoEvidence
		}
		at := time.UnixMicro(us)
		f.Since, f.Until, f.Client, host = at, at.Add(time.Microsecond), ip.String(), parts[2]
	}
	var found *activity.Event
	err := c.st.SearchActivity(ctx, v.actorStore(), f, func(e activity.Event) error {
		if found == nil && (byRef || e.Host == host) {
			found = &e
		}
		return nil
	})
	if err != nil {
		return copiedEvent{}, err
	}
	if found == nil {
		return copiedEvent{}, errNoEvidence
	}
	rule := c.rowRule(v)
	ok, err := rule.allows(ctx, found.User)
	if err != nil {
		return copiedEvent{}, err
	}
	if !ok && byRef {
		k, err := rule.class(ctx, found.User)
		if err != nil {
			return copiedEvent{}, err
		}
		ok = k == classPupil
	}
	if !ok {
		return copiedEvent{}, &safeguarding.ForbiddenError{Actor: v.actor, Capability: safeguarding.ViewNamedStaffActivity}
	}
	e := *found
	return copiedEvent{Time: e.Time.UTC(), Client: e.Client.String(), User: e.User, Groups: e.Groups, Host: e.Host, URL: e.URL,
		Categories: e.Categories, Verdict: e.Verdict, Illegal: e.Illegal, Rule: e.Rule, Source: string(e.Point), Search: e.Search,
		Action: e.Action, Ref: e.Ref}, nil
}

// findEvidence reads what kind/ref names for copying into an incident.
func (c *Console) findEvidence(ctx context.Context, v *visit, kind, ref string) (any, error) {
	switch kind {
	case "activity":
		return c.findEvent(ctx, v, ref)
	case "concern":
		if !safeguarding.Can(v.user.Roles, safeguarding.ReadConcerns) {
			return nil, &safeguarding.ForbiddenError{Actor: v.actor, Capability: safeguarding.ReadConcerns}
		}
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return nil, errNoEvidence
		}
		k, err := c.st.GetConcern(ctx, v.actorStore(), id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errNoEvidence
		}
		return k, err
	case "alert":
		if c.alert == nil {
			return nil, fmt.Errorf("%w: alert: this server records no alerts", safeguarding.ErrInvalid)
		}
		return c.alert(ctx, v.actor, ref)
	}
	return nil, fmt.Errorf("%w: kind: %q (activity, concern or alert)", safeguarding.ErrInvalid, kind)
}

// evidenceRef is one thing to link, as a form or query names it.
type evidenceRef struct{ Kind, Ref string }

// linkEvidence finds each item and copies it into incident id. The
// error names the item at fault.
func (c *Console) linkEvidence(ctx context.Context, v *visit, id int64, refs []evidenceRef) error {
	for _, e := range refs {
		copied, err := c.findEvidence(ctx, v, e.Kind, e.Ref)
		if errors.Is(err, errNoEvidence) {
			return fmt.Errorf("%w: %s: no %s %q that you may link", safeguarding.ErrInvalid, evidenceField(e.Kind), e.Kind, e.Ref)
		}
		if err != nil {
			return err
		}
		if _, err := c.inc.LinkEvidence(ctx, v.actor, id, e.Kind, e.Ref, copied); err != nil {
			return err
		}
	}
	return nil
}

// evidenceField is the form field (and query parameter) of a kind.
func evidenceField(kind string) string {
	if kind == "activity" {
		return "event"
	}
	return kind
}
