package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// totpCheck checks a TOTP code (each time step good once) or a recovery
// code (each good once) and completes the sign-in. Both outcomes are
// audited.
func (c *Console) totpCheck(w http.ResponseWriter, r *http.Request, v *visit) {
	if v.complete() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	f := readCodeForm(r)
	if ferr := f.Validate(); ferr != nil {
		c.render(w, r, http.StatusOK, "totp", v, totpView{Error: ferr.Msg})
		return
	}
	t, err := c.st.GetConsoleTOTP(ctx, v.user.Username)
	if errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, "/totp/enrol", http.StatusSeeOther)
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	ok, how := false, "totp"
	if step, match := identity.VerifyTOTP(t.Secret, f.Code, c.now()); match {
		ok, err = c.st.UseConsoleTOTPStep(ctx, v.user.Username, step)
	} else if len(f.Code) > identity.TOTPDigits {
		how = "recovery code"
		ok, err = c.st.UseConsoleRecoveryCode(ctx, v.user.Username, hashID(normalRecovery(f.Code)))
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	action := "console.signin.second-factor"
	if !ok {
		action += ".fail"
	}
	if err := c.auditVisit(r, v, action, "user:"+v.user.Username, map[string]any{"with": how}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if !ok {
		c.render(w, r, http.StatusOK, "totp", v, totpView{Error: "That code is wrong or has been used already. Wait for the next one."})
		return
	}
	if err := c.verifySession(ctx, w, v); err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
