package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// policyRollbackForm rolls the policy back to an earlier version; a fresh
// TOTP code confirms it.
type policyRollbackForm struct {
	Note, Code string
}

func readPolicyRollbackForm(r *http.Request) policyRollbackForm {
	return policyRollbackForm{Note: strings.TrimSpace(r.PostFormValue("note")), Code: strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("code")), " ", "")}
}

func (f policyRollbackForm) Validate() *FieldError {
	if f.Code == "" {
		return fieldErr("code", "enter a fresh code from your authenticator app to confirm the rollback")
	}
	return nil
}

// policyRollback stores a new version equal to version {id} (with its
// audit record); every node of the policy loads it within seconds.
func (c *Console) policyRollback(w http.ResponseWriter, r *http.Request, v *visit) {
	f := readPolicyRollbackForm(r)
	refuse := func(msg string) {
		view, err := c.policyHistory(r, v)
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		view.Form, view.Error = f, msg
		c.render(w, r, http.StatusUnprocessableEntity, "policy_history", v, view)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		refuse("version: not a version number")
		return
	}
	if ferr := f.Validate(); ferr != nil {
		refuse(ferr.Error())
		return
	}
	if ok, err := c.reconfirm(r, v, f.Code); err != nil {
		c.fail(w, r, v, err)
		return
	} else if !ok {
		refuse(fieldErr("code", "that code is wrong or already used: wait for the next one").Error())
		return
	}
	pv, err := c.policyVersionInScope(r, v, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			refuse("version: there is no version " + strconv.FormatInt(id, 10))
			return
		}
		c.fail(w, r, v, err)
		return
	}
	if pv.Kind == store.PolicyTrust && v.actor.Site != store.AllSites {
		// The trust's policy is every school's: in a trust of several
		// schools only its own staff (trust-technical) roll it back.
		sites, err := c.st.ListSites(r.Context())
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		if len(sites) > 1 {
			refuse("version: version " + strconv.FormatInt(id, 10) + " is the trust's policy, for every school: only the trust's staff roll it back")
			return
		}
	}
	if _, err := c.st.RollbackPolicy(r.Context(), store.Actor{Name: v.user.Username, From: clientAddr(r), Roles: identity.JoinRoles(v.user.Roles)}, id, f.Note); err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/policy/history?done=rolled-back", http.StatusSeeOther)
}

// policyVersionInScope is version id when the visitor's scope holds it
// (ErrNotFound otherwise, as for a version that does not exist).
func (c *Console) policyVersionInScope(r *http.Request, v *visit, id int64) (store.PolicyVersion, error) {
	pv, err := c.st.PolicyVersionByID(r.Context(), id)
	if err != nil {
		return pv, err
	}
	if scope := historyScope(v); scope != "" && pv.Kind == store.PolicySchool && pv.Site != scope {
		return store.PolicyVersion{}, store.ErrNotFound
	}
	return pv, nil
}
