package notify

import (
	"fmt"
	"slices"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

// contact is one alerts.contacts entry, compiled.
type contact struct {
	name, email string
	roles       []identity.Role // none: no limit
	severities  [6]bool
	groups      []string // none: every group
	hours       []config.HoursWindow
	outOfHours  bool
	escalation  bool
	webhook     string
}

func newContact(c *config.Config, ac *config.AlertContact, i int) (*contact, error) {
	ct := &contact{name: ac.Name, email: ac.Email, groups: ac.Groups, outOfHours: ac.OutOfHours, escalation: ac.Escalation, webhook: ac.Webhook}
	for _, s := range ac.Severities {
		if s >= 1 && s <= 5 {
			ct.severities[s] = true
		}
	}
	field := fmt.Sprintf("alerts.contacts[%d]", i)
	for _, r := range ac.Roles {
		role, err := identity.ParseRole(r)
		if err != nil {
			return nil, fmt.Errorf("%s.roles (line %d): %w", field, ac.Line, err)
		}
		ct.roles = append(ct.roles, role)
	}
	if len(ct.roles) > 0 && !mayRead(ct.roles, true) {
		return nil, fmt.Errorf("%s.roles (line %d): %v may read no alert in the console, so may be sent none", field, ac.Line, ac.Roles)
	}
	if ac.Hours != "" {
		hw, err := c.ContactHours(ac.Hours)
		if err != nil {
			return nil, fmt.Errorf("%s.hours (line %d): %w", field, ac.Line, err)
		}
		ct.hours = hw
	}
	return ct, nil
}

// mayRead says whether the roles may read an alert of the kind in the
// console (the one permission table): only those are sent it.
func mayRead(roles []identity.Role, circumvention bool) bool {
	if safeguarding.Can(roles, safeguarding.ReadPupilAlerts) || safeguarding.Can(roles, safeguarding.ReadStaffAlerts) {
		return true
	}
	return circumvention && safeguarding.Can(roles, safeguarding.ReadCircumventionAlerts)
}

// covers says whether the contact takes alerts about the group and kind
// (severity and hours aside).
func (ct *contact) covers(a Alert) bool {
	if len(ct.groups) > 0 && !slices.Contains(ct.groups, a.Group) {
		return false
	}
	return len(ct.roles) == 0 || mayRead(ct.roles, a.Circumvention)
}

// onDuty says whether t (site time) is within the contact's hours, or
// outside them for an out-of-hours contact.
func (ct *contact) onDuty(t time.Time) bool {
	if len(ct.hours) == 0 {
		return true
	}
	return config.InHours(ct.hours, t) != ct.outOfHours
}

// route is the contacts told of a new alert at once: every one whose
// severities include it and whose groups, roles and hours match. When
// that is nobody, it is every contact who takes the severity, whatever
// the group or hour (and fellBack is true): an alert the school asked to
// hear about is never told to no one.
func (r *routes) route(a Alert, now time.Time) (_ []*contact, fellBack bool) {
	local := now.In(r.loc)
	var out, fallback []*contact
	for _, ct := range r.contacts {
		if a.Severity < 1 || a.Severity > 5 || !ct.severities[a.Severity] {
			continue
		}
		if len(ct.roles) == 0 || mayRead(ct.roles, a.Circumvention) {
			fallback = append(fallback, ct)
		}
		if ct.covers(a) && ct.onDuty(local) {
			out = append(out, ct)
		}
	}
	if len(out) == 0 && len(fallback) > 0 {
		return fallback, true
	}
	return out, false
}

// hooksFor is the webhooks an alert is posted to: each whose severities
// (none: all) and groups (none: all) match, and each named by a contact
// it goes to; every webhook once.
func (r *routes) hooksFor(a Alert, contacts []*contact) []*webhook {
	var out []*webhook
	for _, w := range r.hookOrder {
		named := slices.ContainsFunc(contacts, func(ct *contact) bool { return ct.webhook == w.name })
		if named || w.takes(a) {
			out = append(out, w)
		}
	}
	return out
}
