package console

import (
	"errors"
	"html/template"
	"net/http"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// enrolView shows a new TOTP secret to add to an authenticator app.
type enrolView struct {
	Secret string // base32, grouped for reading
	URI    string
	QR     template.HTML // the URI as a QR code (qr.go)
	Error  string
}

func (enrolView) title() string { return "Set up your authenticator app" }

// enrolShow starts enrolment for a person with no second factor yet: a
// new secret, kept on the session until a code proves it. Someone
// enrolled already gives their code instead.
func (c *Console) enrolShow(w http.ResponseWriter, r *http.Request, v *visit) {
	if v.complete() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if _, err := c.st.GetConsoleTOTP(r.Context(), v.user.Username); err == nil {
		http.Redirect(w, r, "/totp", http.StatusSeeOther)
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, v, err)
		return
	}
	secret := v.sess.PendingSecret
	if secret == "" {
		secret = identity.NewTOTPSecret()
		if err := c.st.SetConsolePendingSecret(r.Context(), v.sess.IDHash, secret); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	c.render(w, r, http.StatusOK, "enrol", v, c.enrolView(v, secret))
}

func (c *Console) enrolView(v *visit, secret string) enrolView {
	site := c.snap().Config().Site.Name
	if site == "" {
		site = "Schoolgate"
	}
	var grouped []byte
	for i := 0; i < len(secret); i++ {
		if i > 0 && i%4 == 0 {
			grouped = append(grouped, ' ')
		}
		grouped = append(grouped, secret[i])
	}
	uri := identity.TOTPURI(site, v.user.Username, secret)
	code, err := qrSVG(uri)
	if err != nil {
		c.log.Warn("console: enrolment QR code", "err", err) // the key and link are still shown
	}
	return enrolView{Secret: string(grouped), URI: uri, QR: code}
}
