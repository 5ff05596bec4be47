package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// visit is a request from a signed-in browser: its session and the
// person, with their roles as the directory has them now.
type visit struct {
	sess   store.ConsoleSession
	user   *identity.User
	actor  safeguarding.Actor
	userAg string
	// token is the API token the call carried (0: the session).
	token int64
}

// complete says the second factor has been given, or is not needed.
func (v *visit) complete() bool { return !v.sess.Verified.IsZero() }

// cookieName is the session cookie: __Host- on HTTPS, so no subdomain or
// plain-HTTP page can set it.
func (c *Console) cookieName() string {
	if c.tls {
		return "__Host-schoolgate-console"
	}
	return "schoolgate-console"
}

// newSecret is a random URL-safe token of n bytes.
func newSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashID is what the store keeps of a session id.
func hashID(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// clientAddr is the request's remote address without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loadVisit finds the request's session. An unknown, expired (idle or
// past its lifetime) session, or one whose person is disabled or can no
// longer sign in, is ended and its cookie cleared: the visit is nil.
func (c *Console) loadVisit(w http.ResponseWriter, r *http.Request) (*visit, error) {
	ck, err := r.Cookie(c.cookieName())
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	ctx := r.Context()
	id := hashID(ck.Value)
	s, err := c.st.GetConsoleSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		c.clearCookie(w)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := c.now()
	set := c.settings()
	if now.Sub(s.Seen) > set.SessionIdle.D() || now.Sub(s.Created) > set.SessionMax.D() {
		c.endSession(ctx, w, id)
		return nil, nil
	}
	u, err := c.dir.Lookup(ctx, s.Username)
	if err != nil && !errors.Is(err, identity.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.Disabled || !canSignIn(u.Roles) {
		c.endSession(ctx, w, id)
		return nil, nil
	}
	// Roles may have changed since sign-in: one that now needs a second
	// factor must give it.
	if !needsSecondFactor(u.Roles) && s.Verified.IsZero() {
		s.Verified = now
		if err := c.st.VerifyConsoleSession(ctx, id, now); err != nil {
			return nil, err
		}
	}
	if now.Sub(s.Seen) >= 10*time.Second {
		if err := c.st.TouchConsoleSession(ctx, id, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return &visit{sess: s, user: u, userAg: r.UserAgent(), actor: safeguarding.Actor{
		Username: u.Username, DisplayName: u.DisplayName, Roles: u.Roles, Address: clientAddr(r), Site: u.Site, School: c.site()}}, nil
}

// startSession creates a new session for u (a new id every sign-in) and
// sets its cookie.
func (c *Console) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, u *identity.User) error {
	return c.startSessionWith(ctx, w, r, u, false)
}

// startSessionWith starts a session whose second factor was already given
// elsewhere when verified (an OpenID provider that asserted MFA).
func (c *Console) startSessionWith(ctx context.Context, w http.ResponseWriter, r *http.Request, u *identity.User, verified bool) error {
	id := newSecret(32)
	now := c.now()
	s := store.ConsoleSession{IDHash: hashID(id), Username: u.Username, Created: now, Seen: now, CSRF: newSecret(24),
		Address: clientAddr(r), UserAgent: r.UserAgent()}
	if verified || !needsSecondFactor(u.Roles) {
		s.Verified = now
	}
	if err := c.st.CreateConsoleSession(ctx, s); err != nil {
		return err
	}
	c.setCookie(w, id)
	return nil
}

// verifySession records the second factor on v's session and gives the
// session a new id (and cookie): the id from before the code no longer
// works, as the one from before the password did not.
func (c *Console) verifySession(ctx context.Context, w http.ResponseWriter, v *visit) error {
	id := newSecret(32)
	if err := c.st.RotateConsoleSession(ctx, v.sess.IDHash, hashID(id), c.now()); err != nil {
		return err
	}
	v.sess.IDHash = hashID(id)
	c.setCookie(w, id)
	return nil
}

func (c *Console) setCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: c.tls,
		SameSite: http.SameSiteLaxMode, MaxAge: int(c.settings().SessionMax.D() / time.Second)})
}

// endSession deletes a session and clears the cookie.
func (c *Console) endSession(ctx context.Context, w http.ResponseWriter, idHash string) {
	if err := c.st.EndConsoleSession(ctx, idHash); err != nil {
		c.log.Error("console: ending a session", "err", err)
	}
	c.clearCookie(w)
}

func (c *Console) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: c.tls,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// actorStore is the signed-in person as the audit trail records them.
func (v *visit) actorStore() store.Actor {
	return store.Actor{Name: v.user.Username, From: v.actor.Address, Roles: identity.JoinRoles(v.user.Roles), Site: v.actor.Site}
}
