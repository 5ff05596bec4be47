package subject

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"schoolgate/internal/identity"
)

// anonymiser replaces other people's names in an export by their role:
// the person asking sees what is held about them, not who else is in it.
type anonymiser struct {
	subject string
	roles   map[string]string // username → "another pupil", ...
	text    *strings.Replacer
	words   *regexp.Regexp
	byWord  map[string]string // a lower-cased name or username → role words
}

// roleWords is how a person other than the subject is named.
func roleWords(roles []identity.Role) string {
	switch {
	case len(roles) == 0:
		return "another person"
	case slices.ContainsFunc(roles, func(r identity.Role) bool { return r != identity.RolePupil && r != identity.RoleVisitor }):
		return "a member of staff"
	case slices.Contains(roles, identity.RolePupil):
		return "another pupil"
	}
	return "a visitor"
}

func newAnonymiser(subject string, users []identity.User) *anonymiser {
	a := &anonymiser{subject: subject, roles: map[string]string{}, byWord: map[string]string{}}
	var names []string
	for _, u := range users {
		if u.Username == subject {
			continue
		}
		w := roleWords(u.Roles)
		a.roles[u.Username] = w
		for _, n := range []string{u.Username, u.DisplayName} {
			n = strings.TrimSpace(n)
			if len([]rune(n)) < 3 {
				continue
			}
			a.byWord[strings.ToLower(n)] = w
			names = append(names, regexp.QuoteMeta(n))
		}
	}
	if len(names) > 0 {
		// Longest first, so "Amy Shah" goes before "amy".
		sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
		a.words = regexp.MustCompile(`(?i)(^|[^\pL\pN._@-])(` + strings.Join(names, "|") + `)($|[^\pL\pN_@-])`)
	}
	return a
}

// name is how the export shows the person username.
func (a *anonymiser) name(username string) string {
	switch {
	case username == "":
		return ""
	case username == a.subject:
		return "you"
	case username == "schoolgate":
		return "Schoolgate (automatic)"
	}
	if w, ok := a.roles[username]; ok {
		return w
	}
	return "another person"
}

// clean replaces other people's usernames and display names in free text.
func (a *anonymiser) clean(s string) string {
	if a.words == nil || s == "" {
		return s
	}
	// Replace repeatedly: adjacent names share a separator.
	for range 3 {
		next := a.words.ReplaceAllStringFunc(s, func(m string) string {
			sub := a.words.FindStringSubmatch(m)
			return sub[1] + a.byWord[strings.ToLower(sub[2])] + sub[3]
		})
		if next == s {
			break
		}
		s = next
	}
	return s
}
