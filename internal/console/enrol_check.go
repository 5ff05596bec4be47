package console

import (
	"net/http"
	"strings"

	"schoolgate/internal/identity"
)

// recoveryView shows the ten recovery codes, once.
type recoveryView struct {
	Codes []string
}

func (recoveryView) title() string { return "Your recovery codes" }

// enrolCheck proves the pending secret with a first code, stores it with
// ten recovery codes (only their hashes), completes the sign-in and shows
// the codes once.
func (c *Console) enrolCheck(w http.ResponseWriter, r *http.Request, v *visit) {
	secret := v.sess.PendingSecret
	if v.complete() || secret == "" {
		http.Redirect(w, r, "/totp", http.StatusSeeOther)
		return
	}
	f := readCodeForm(r)
	step, ok := identity.VerifyTOTP(secret, f.Code, c.now())
	if !ok {
		view := c.enrolView(v, secret)
		view.Error = "That code does not match. Check the app shows this account and try the next code."
		c.render(w, r, http.StatusOK, "enrol", v, view)
		return
	}
	codes := make([]string, 10)
	hashes := make([]string, 10)
	for i := range codes {
		raw := strings.ToLower(newSecret(8))
		raw = strings.NewReplacer("-", "x", "_", "y").Replace(raw)[:10]
		codes[i] = raw[:5] + "-" + raw[5:]
		hashes[i] = hashID(normalRecovery(codes[i]))
	}
	ctx := r.Context()
	if err := c.st.EnrolConsoleTOTP(ctx, v.actorStore(), v.user.Username, secret, step, hashes); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := c.verifySession(ctx, w, v); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "recovery", v, recoveryView{Codes: codes})
}

// normalRecovery is a recovery code as hashed: lower case, no dashes or
// spaces.
func normalRecovery(s string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(s))
}
