package console

import (
	"errors"
	"net/http"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// reconfirmAfter: an approval longer than this asks for a code again.
const reconfirmAfter = 24 * time.Hour

// reconfirm checks a fresh TOTP code (each step good once) for a
// sensitive action; the attempt is audited. A person with no second
// factor enrolled cannot confirm.
func (c *Console) reconfirm(r *http.Request, v *visit, code string) (bool, error) {
	t, err := c.st.GetConsoleTOTP(r.Context(), v.user.Username)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ok := false
	if step, match := identity.VerifyTOTP(t.Secret, code, c.now()); match {
		if ok, err = c.st.UseConsoleTOTPStep(r.Context(), v.user.Username, step); err != nil {
			return false, err
		}
	}
	action := "console.reconfirm"
	if !ok {
		action += ".fail"
	}
	return ok, c.auditVisit(r, v, action, "user:"+v.user.Username, nil)
}
