// Package safeguarding is the domain layer behind grants, unblock requests
// and sanctions: who may do what (a permission table keyed by role), what
// may never be allowed (illegal categories), and who a change may be for.
// Every operation takes an Actor and checks the permission itself, so the
// command line, the console and the API cannot drift apart; each asks the
// running engine's policy snapshot, never a recompiled copy.
package safeguarding

import (
	"errors"
	"fmt"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// Sentinel errors.
var (
	// ErrForbidden: the actor's roles do not allow the operation
	// (a *ForbiddenError says which roles would).
	ErrForbidden = errors.New("not permitted")
	// ErrUnknownActor: the actor is not an enabled person of the user
	// directory.
	ErrUnknownActor = errors.New("not an enabled person of the user directory")
	// ErrIllegal: the change would allow content of an illegal category.
	ErrIllegal = errors.New("illegal content can never be allowed")
	// ErrNotApplicable: the change cannot do what it is for (a grant that
	// opens no permission cell, a device approval for a signed-in user).
	ErrNotApplicable = errors.New("not applicable")
	// ErrUnknownGrantee: no user or policy group by that name.
	ErrUnknownGrantee = errors.New("no user or policy group by that name")
	// ErrInvalid: a malformed operation (no scope, no reason, ...).
	ErrInvalid = errors.New("invalid")
	// ErrNoPolicy: no policy snapshot to check the change against.
	ErrNoPolicy = errors.New("no policy loaded")
)

// Actor is the accountable person behind an operation: a directory
// person and their roles, plus where the operation came from.
type Actor struct {
	Username    string
	DisplayName string
	Roles       []identity.Role
	// OSUser is the operating-system account that ran the command (the
	// CLI), Address the client address (the console).
	OSUser  string
	Address string
	// Site is the actor's scope, from the person's own record: their
	// school, or "*" (store.AllSites) for the trust's staff, who read
	// every school. Every record they read or write is scoped to it.
	Site string
	// School is the one school a trust person acts in when they make a
	// new record (the school they named with --site, the console's node's
	// school); unused for a school's own people.
	School string
}

// ErrNoSite refuses an actor who acts for no school: nothing is read or
// written on a guess.
var ErrNoSite = errors.New("acts for no school")

// school is the one school a's new records belong to: their own, or the
// school a trust person named; refused when there is none.
func (a Actor) school() (string, error) {
	s := a.Site
	if s == store.AllSites {
		s = a.School
	}
	if s == "" || s == store.AllSites {
		return "", fmt.Errorf("%w: %s: name the school (--site)", ErrNoSite, a.describe())
	}
	return s, nil
}

// storeActor is the actor as the audit trail records it.
func (a Actor) storeActor() store.Actor {
	return store.Actor{Name: a.Username, From: a.Address, Roles: identity.JoinRoles(a.Roles), OSUser: a.OSUser, Site: a.Site}
}

// describe is the actor for messages: `"jsmith" (pupil)`.
func (a Actor) describe() string {
	if len(a.Roles) == 0 {
		return fmt.Sprintf("%q (no role)", a.Username)
	}
	return fmt.Sprintf("%q (%s)", a.Username, identity.JoinRoles(a.Roles))
}

// ForbiddenError says who was refused what, and which roles may.
type ForbiddenError struct {
	Actor      Actor
	Capability Capability
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s may not %s: that needs the %s role", e.Actor.describe(), e.Capability.Describe(), OrList(RolesWith(e.Capability)))
}

// Unwrap makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// OrList is "a, b or c".
func OrList(rs []identity.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	switch len(s) {
	case 0:
		return "(no)"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
