package safeguarding

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// The rules for people (issue 10): only slt gives or takes away the
// safeguarding roles (dsl, esafety-lead, slt) or touches the account of
// someone who holds one, and nobody changes their own roles or account
// from here.
var (
	// ErrOwnAccount: a person may not change their own roles, disable
	// themselves or reset their own password as an administrator.
	ErrOwnAccount = errors.New("nobody changes their own roles or account")
	// ErrSLTOnly: the change touches a safeguarding role.
	ErrSLTOnly = errors.New("only slt gives or removes the dsl, esafety-lead and slt roles, or changes the account of someone who holds one")
)

// sltOnlyRoles are the roles only slt may give, remove or administer.
var sltOnlyRoles = []identity.Role{identity.RoleDSL, identity.RoleESafetyLead, identity.RoleSLT, identity.RoleTrustDSL, identity.RoleTrustTechnical, identity.RoleTrustSLT}

// CheckRoles says whether a may change username's roles from before to
// after (before is nil for a new person). It is the whole rule, pure.
func CheckRoles(a Actor, username string, before, after []identity.Role) error {
	if err := check(a, ManagePeople); err != nil {
		return err
	}
	if strings.EqualFold(a.Username, username) && !sameRoles(before, after) {
		return fmt.Errorf("%q: %w", username, ErrOwnAccount)
	}
	if slices.Contains(a.Roles, identity.RoleSLT) {
		return nil
	}
	for _, r := range sltOnlyRoles {
		if slices.Contains(before, r) != slices.Contains(after, r) {
			return fmt.Errorf("%q: %s: %w", username, r, ErrSLTOnly)
		}
	}
	return nil
}

// CheckAccount says whether a may disable, enable or reset the password
// of u: not their own, and only slt for a holder of a safeguarding role.
func CheckAccount(a Actor, u identity.User) error {
	if err := check(a, ManagePeople); err != nil {
		return err
	}
	if strings.EqualFold(a.Username, u.Username) {
		return fmt.Errorf("%q: %w", u.Username, ErrOwnAccount)
	}
	if !slices.Contains(a.Roles, identity.RoleSLT) && slices.ContainsFunc(u.Roles, func(r identity.Role) bool { return slices.Contains(sltOnlyRoles, r) }) {
		return fmt.Errorf("%q: %w", u.Username, ErrSLTOnly)
	}
	return nil
}

func sameRoles(a, b []identity.Role) bool {
	return identity.JoinRoles(identity.SortRoles(slices.Clone(a))) == identity.JoinRoles(identity.SortRoles(slices.Clone(b)))
}

// PeopleStore is what the people operations need from storage.
type PeopleStore interface {
	GetUserIn(ctx context.Context, scope, username string) (identity.User, error)
	CreateUser(ctx context.Context, by store.Actor, u identity.User, hash string) error
	UpdateUser(ctx context.Context, by store.Actor, u identity.User) error
	SetDisabled(ctx context.Context, by store.Actor, username string, disabled bool) error
	SetPassword(ctx context.Context, by store.Actor, username, hash string) error
	ImportUsers(ctx context.Context, by store.Actor, f *identity.ImportFile, prune bool) (store.ImportSummary, error)
}

// People runs the user directory's operations under the rules above.
type People struct {
	st   PeopleStore
	hash identity.HashParams
}

// NewPeople makes People; hash is the password hashing cost.
func NewPeople(st PeopleStore, hash identity.HashParams) *People {
	return &People{st: st, hash: hash}
}

// Add creates a person, without a password.
func (p *People) Add(ctx context.Context, a Actor, u identity.User) error {
	if err := CheckRoles(a, u.Username, nil, u.Roles); err != nil {
		return err
	}
	if len(u.Roles) > 0 && u.Roles[0].Trust() && a.Site == store.AllSites {
		u.Site = store.AllSites // the trust's staff, made by the trust's staff
	} else {
		school, err := a.school()
		if err != nil {
			return err
		}
		u.Site = school
	}
	return p.st.CreateUser(ctx, a.storeActor(), u, "")
}

// SetRoles replaces a person's roles.
func (p *People) SetRoles(ctx context.Context, a Actor, username string, roles []identity.Role) error {
	u, err := p.st.GetUserIn(ctx, a.Site, username)
	if err != nil {
		return err
	}
	if err := CheckRoles(a, u.Username, u.Roles, roles); err != nil {
		return err
	}
	u.Roles = roles
	return p.st.UpdateUser(ctx, a.storeActor(), u)
}

// SetDisabled disables (ending their sessions) or enables a person.
func (p *People) SetDisabled(ctx context.Context, a Actor, username string, disabled bool) error {
	u, err := p.st.GetUserIn(ctx, a.Site, username)
	if err != nil {
		return err
	}
	if err := CheckAccount(a, u); err != nil {
		return err
	}
	return p.st.SetDisabled(ctx, a.storeActor(), u.Username, disabled)
}

// ResetPassword gives a person a new random password and returns it, to
// be shown once.
func (p *People) ResetPassword(ctx context.Context, a Actor, username string) (string, error) {
	u, err := p.st.GetUserIn(ctx, a.Site, username)
	if err != nil {
		return "", err
	}
	if err := CheckAccount(a, u); err != nil {
		return "", err
	}
	pw := newPassword()
	hash, err := identity.HashPassword(pw, p.hash)
	if err != nil {
		return "", err
	}
	if err := p.st.SetPassword(ctx, a.storeActor(), u.Username, hash); err != nil {
		return "", err
	}
	return pw, nil
}

// Import applies a parsed users CSV (never pruning: that stays with the
// command line). A row that would break the role rules refuses the whole
// file, naming its line.
func (p *People) Import(ctx context.Context, a Actor, f *identity.ImportFile) (store.ImportSummary, error) {
	if err := check(a, ManagePeople); err != nil {
		return store.ImportSummary{}, err
	}
	if f.Has("role") {
		var bad []string
		for _, row := range f.Rows {
			old, err := p.st.GetUserIn(ctx, store.AllSites, row.User.Username)
			switch {
			case errors.Is(err, store.ErrNotFound):
				old = identity.User{}
			case err != nil:
				return store.ImportSummary{}, err
			}
			if err := CheckRoles(a, row.User.Username, old.Roles, row.User.Roles); err != nil {
				bad = append(bad, fmt.Sprintf("line %d: %v", row.Line, err))
			}
		}
		if len(bad) > 0 {
			return store.ImportSummary{}, &ImportRefused{Rows: bad}
		}
	}
	school, err := a.school()
	if err != nil {
		return store.ImportSummary{}, err
	}
	f.Site = school
	return p.st.ImportUsers(ctx, a.storeActor(), f, false)
}

// ImportRefused lists the rows that broke the role rules.
type ImportRefused struct{ Rows []string }

func (e *ImportRefused) Error() string {
	return fmt.Sprintf("import refused: %d row(s) change roles they may not: %s", len(e.Rows), strings.Join(e.Rows, "; "))
}

func (e *ImportRefused) Unwrap() error { return ErrForbidden }

// passwordAlphabet is the alphabet of reset passwords: no look-alikes.
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newPassword is 16 characters from passwordAlphabet in four groups.
func newPassword() string {
	var b strings.Builder
	for i := range 16 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(passwordAlphabet[randIndex(len(passwordAlphabet))])
	}
	return b.String()
}

func randIndex(n int) int {
	var buf [1]byte
	for {
		rand.Read(buf[:])
		if int(buf[0]) < 256-256%n {
			return int(buf[0]) % n
		}
	}
}
