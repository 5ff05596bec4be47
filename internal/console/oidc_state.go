package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// oidcStateCookie carries a sign-in in flight through the provider and
// back: state, nonce and the PKCE verifier, signed with a key kept in the
// database (any node can finish what another began), for ten minutes.
const oidcStateCookie = "sg_oidc"

const oidcStateTTL = 10 * time.Minute

type oidcState struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

var errBadState = errors.New("the sign-in could not be matched to one started here (start again)")

func (c *Console) oidcKey(ctx context.Context) ([]byte, error) {
	return c.st.Secret(ctx, "console-oidc-state", 32)
}

func (c *Console) setOIDCState(ctx context.Context, w http.ResponseWriter, s oidcState) error {
	key, err := c.oidcKey(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(s)
	payload := base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		Path: "/login/oidc/", HttpOnly: true, Secure: c.tls, SameSite: http.SameSiteLaxMode, MaxAge: int(oidcStateTTL.Seconds())})
	return nil
}

// oidcStateFrom reads and checks the cookie and clears it (each sign-in
// in flight finishes once).
func (c *Console) oidcStateFrom(w http.ResponseWriter, r *http.Request) (oidcState, error) {
	http.SetCookie(w, &http.Cookie{Name: oidcStateCookie, Value: "", Path: "/login/oidc/", HttpOnly: true, Secure: c.tls, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	ck, err := r.Cookie(oidcStateCookie)
	if err != nil {
		return oidcState{}, errBadState
	}
	payload, sig, ok := strings.Cut(ck.Value, ".")
	if !ok {
		return oidcState{}, errBadState
	}
	key, err := c.oidcKey(r.Context())
	if err != nil {
		return oidcState{}, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return oidcState{}, errBadState
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return oidcState{}, errBadState
	}
	var s oidcState
	if json.Unmarshal(body, &s) != nil || c.now().Unix() > s.Expires {
		return oidcState{}, errBadState
	}
	return s, nil
}
