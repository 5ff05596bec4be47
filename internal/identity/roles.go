package identity

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Role is what a person is at the school. The set is fixed: permissions
// (internal/safeguarding) and identity.roles in the policy are keyed by
// it, so a typo is an error rather than a role that quietly means nothing.
// A person may hold several.
type Role string

// The roles, in the order they are listed and stored.
const (
	RolePupil       Role = "pupil"
	RoleVisitor     Role = "visitor"
	RoleStaff       Role = "staff" // support staff
	RoleTeacher     Role = "teacher"
	RoleTechnical   Role = "technical"
	RoleESafetyLead Role = "esafety-lead"
	RoleDSL         Role = "dsl" // designated safeguarding lead
	RoleSLT         Role = "slt" // senior leadership, the headteacher too
	RoleGovernor    Role = "governor"

	// The trust's roles, held only by the trust's staff (people made with
	// --trust, site "*"): each is its school role at every school.
	RoleTrustDSL       Role = "trust-dsl"
	RoleTrustTechnical Role = "trust-technical"
	RoleTrustSLT       Role = "trust-slt"
)

// AllRoles is every role, in order (a new slice each call).
func AllRoles() []Role {
	return []Role{RolePupil, RoleVisitor, RoleStaff, RoleTeacher, RoleTechnical, RoleESafetyLead, RoleDSL, RoleSLT, RoleGovernor,
		RoleTrustDSL, RoleTrustTechnical, RoleTrustSLT}
}

// ErrUnknownRole is returned for a role name outside the fixed set.
var ErrUnknownRole = errors.New("unknown role")

// roleAlias maps other names MIS exports and older databases use.
func roleAlias(s string) (Role, bool) {
	switch s {
	case "student":
		return RolePupil, true
	case "guest":
		return RoleVisitor, true
	case "support":
		return RoleStaff, true
	case "headteacher", "head":
		return RoleSLT, true
	case "esafety", "e-safety-lead":
		return RoleESafetyLead, true
	}
	return "", false
}

// ParseRole reads one role name (any case; a few aliases such as
// headteacher for slt).
func ParseRole(s string) (Role, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	r := Role(s)
	if roleIndex(r) < numRoles {
		return r, nil
	}
	if a, ok := roleAlias(s); ok {
		return a, nil
	}
	return "", fmt.Errorf("%w %q (roles: %s)", ErrUnknownRole, s, RoleNames())
}

// ParseRoles reads a list of roles separated by ',' or ';' ("teacher;dsl"),
// any case. The result is sorted in the fixed order, without duplicates;
// an empty string is no roles.
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	for _, f := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ';' }) {
		if strings.TrimSpace(f) == "" {
			continue
		}
		r, err := ParseRole(f)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return SortRoles(out), nil
}

// ParseStoredRoles reads a stored role list leniently: names outside the
// set (free text kept by an older version) are returned apart, so one
// odd value never hides the user. They have no permissions and map to no
// group (identity.roles accepts only known roles).
func ParseStoredRoles(s string) (roles []Role, unknown []string) {
	for _, f := range strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ';' }) {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if r, err := ParseRole(f); err == nil {
			roles = append(roles, r)
		} else {
			unknown = append(unknown, strings.ToLower(f))
		}
	}
	return SortRoles(roles), unknown
}

// SortRoles sorts roles in the fixed order and drops duplicates, in place.
func SortRoles(rs []Role) []Role {
	slices.SortFunc(rs, func(a, b Role) int { return roleIndex(a) - roleIndex(b) })
	return slices.Compact(rs)
}

// numRoles is the size of the fixed set.
const numRoles = 12

// roleIndex is r's place in the fixed order (numRoles for an unknown role).
func roleIndex(r Role) int {
	switch r {
	case RolePupil:
		return 0
	case RoleVisitor:
		return 1
	case RoleStaff:
		return 2
	case RoleTeacher:
		return 3
	case RoleTechnical:
		return 4
	case RoleESafetyLead:
		return 5
	case RoleDSL:
		return 6
	case RoleSLT:
		return 7
	case RoleGovernor:
		return 8
	case RoleTrustDSL:
		return 9
	case RoleTrustTechnical:
		return 10
	case RoleTrustSLT:
		return 11
	}
	return numRoles
}

// JoinRoles is the stored form: sorted, comma-separated.
func JoinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range SortRoles(slices.Clone(rs)) {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// HasRole reports whether rs holds r.
func HasRole(rs []Role, r Role) bool { return slices.Contains(rs, r) }

// RoleNames lists every role, comma-separated, for messages.
func RoleNames() string { return JoinRoles(AllRoles()) }

// Trust reports whether r is one of the trust's roles.
func (r Role) Trust() bool {
	return r == RoleTrustDSL || r == RoleTrustTechnical || r == RoleTrustSLT
}

// SchoolRole is the school role a trust role holds at every school (r
// itself for a school's role).
func (r Role) SchoolRole() Role {
	switch r {
	case RoleTrustDSL:
		return RoleDSL
	case RoleTrustTechnical:
		return RoleTechnical
	case RoleTrustSLT:
		return RoleSLT
	}
	return r
}
