package console

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

// accessKind is what a route asks of its visitor.
type accessKind uint8

const (
	accessUnset    accessKind = iota // a route without an entry: refused by New
	accessPublic                     // anyone (sign-in, set-up, static files)
	accessPassword                   // a session, second factor still due (the TOTP pages)
	accessSignedIn                   // fully signed in, any console role
	accessCap                        // fully signed in with a capability
)

// access is a route's entry in the permission table.
type access struct {
	kind accessKind
	cap  safeguarding.Capability
	// alt, when set, is a second capability that also opens the route
	// (the page then applies its own finer rule, e.g. whose rows).
	alt safeguarding.Capability
	// alt2 is a third (needAny).
	alt2 safeguarding.Capability
}

func public() access                        { return access{kind: accessPublic} }
func password() access                      { return access{kind: accessPassword} }
func signedIn() access                      { return access{kind: accessSignedIn} }
func need(c safeguarding.Capability) access { return access{kind: accessCap, cap: c} }

// needEither opens a route to holders of either capability.
func needEither(c, alt safeguarding.Capability) access {
	return access{kind: accessCap, cap: c, alt: alt}
}

// needAny opens a route to holders of any of three capabilities.
func needAny(c, alt, alt2 safeguarding.Capability) access {
	return access{kind: accessCap, cap: c, alt: alt, alt2: alt2}
}

// errNoEntry: a route without a permission entry.
var errNoEntry = errors.New("no entry in the permission table")

func (a access) valid() error {
	switch a.kind {
	case accessPublic, accessPassword, accessSignedIn:
		return nil
	case accessCap:
		known := func(c safeguarding.Capability) bool {
			return slices.Contains(safeguarding.Capabilities(), c) && len(safeguarding.RolesWith(c)) > 0
		}
		if known(a.cap) && (a.alt == "" || known(a.alt)) && (a.alt2 == "" || known(a.alt2)) {
			return nil
		}
		return fmt.Errorf("%w: capability %q", errNoEntry, a.cap)
	}
	return errNoEntry
}

// allows says whether roles pass the route's check (with a full session).
func (a access) allows(roles []identity.Role) bool {
	switch a.kind {
	case accessPublic, accessPassword, accessSignedIn:
		return true
	case accessCap:
		return safeguarding.Can(roles, a.cap) || (a.alt != "" && safeguarding.Can(roles, a.alt)) || (a.alt2 != "" && safeguarding.Can(roles, a.alt2))
	}
	return false
}

// guard enforces a route's entry: it loads the session, sends a visitor
// without one to sign in (and one whose second factor is due to give
// it), refuses a role without the capability (403), and checks every
// state-changing form's token.
func (c *Console) guard(rt route) http.Handler {
	if isAPI(rt.pattern) {
		return c.apiGuard(rt)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := c.loadVisit(w, r)
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if rt.need.kind != accessPublic {
			switch {
			case v == nil:
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			case rt.need.kind != accessPassword && !v.complete():
				http.Redirect(w, r, "/totp", http.StatusSeeOther)
				return
			case !rt.need.allows(v.user.Roles):
				c.forbidden(w, r, v, rt.need.cap)
				return
			}
			if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
				r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes) // before the token is read from it
			}
			if r.Method == http.MethodPost && !v.tokenOK(r.PostFormValue("csrf")) {
				c.render(w, r, http.StatusForbidden, "error", v, errorView{Title: "Form expired", Message: "This form has expired or did not come from the console. Go back, reload the page and try again."})
				return
			}
		}
		rt.handle(w, r, v)
	})
}

// tokenOK checks a form's token against the session's.
func (v *visit) tokenOK(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(v.sess.CSRF)) == 1
}

// forbidden is the 403 page: what the role lacks and which roles have it.
func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, v *visit, cap safeguarding.Capability) {
	c.render(w, r, http.StatusForbidden, "error", v, errorView{Title: "Not permitted",
		Message: fmt.Sprintf("Your roles do not allow this page: it needs the %s role (%s).", safeguarding.OrList(safeguarding.RolesWith(cap)), cap.Describe())})
}
