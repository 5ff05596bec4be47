package oidcflow

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

// StateTTL is how long a sign-in in flight may take.
const StateTTL = 10 * time.Minute

// ErrBadState: the callback does not match a sign-in started here.
var ErrBadState = errors.New("the sign-in could not be matched to one started here (start again)")

// State is a sign-in in flight: state, nonce and the PKCE verifier.
type State struct {
	Provider string `json:"p"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

// Flow carries a sign-in through the provider and back in a cookie
// signed with a key kept in the database (any node can finish what
// another began), for StateTTL. Each caller has its own cookie name,
// path and key.
type Flow struct {
	Store   Store
	Now     func() time.Time
	Cookie  string // the cookie's name
	Path    string // the cookie's path: the callbacks' common prefix
	KeyName string // the store's secret that signs it
	Secure  bool   // the cookie is sent over HTTPS only
}

func (f *Flow) key(ctx context.Context) ([]byte, error) { return f.Store.Secret(ctx, f.KeyName, 32) }

func (f *Flow) setState(ctx context.Context, w http.ResponseWriter, s State) error {
	key, err := f.key(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(s)
	payload := base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	http.SetCookie(w, &http.Cookie{Name: f.Cookie, Value: payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		Path: f.Path, HttpOnly: true, Secure: f.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(StateTTL.Seconds())})
	return nil
}

// stateFrom reads and checks the cookie and clears it (each sign-in in
// flight finishes once).
func (f *Flow) stateFrom(w http.ResponseWriter, r *http.Request) (State, error) {
	http.SetCookie(w, &http.Cookie{Name: f.Cookie, Value: "", Path: f.Path, HttpOnly: true, Secure: f.Secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	ck, err := r.Cookie(f.Cookie)
	if err != nil {
		return State{}, ErrBadState
	}
	payload, sig, ok := strings.Cut(ck.Value, ".")
	if !ok {
		return State{}, ErrBadState
	}
	key, err := f.key(r.Context())
	if err != nil {
		return State{}, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(payload))
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return State{}, ErrBadState
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return State{}, ErrBadState
	}
	var s State
	if json.Unmarshal(body, &s) != nil || f.Now().Unix() > s.Expires {
		return State{}, ErrBadState
	}
	return s, nil
}
