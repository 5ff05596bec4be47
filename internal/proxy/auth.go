package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/proxy/pages"
)

// Credential-cache and rate-limit bounds.
const (
	credTTL       = 5 * time.Minute // a verified password is trusted this long
	credMax       = 8192            // cache entries
	failWindow    = time.Minute     // failed log-ins counted over this window
	failMax       = 10              // per client IP per window
	hashSlots     = 2               // concurrent password checks (argon2id is costly)
	hashWait      = 3 * time.Second // wait for a slot before answering 503
	sessionResync = time.Minute     // refresh the IP → user session this often
)

var (
	errNoCredentials = errors.New("no proxy credentials")
	errHashBusy      = errors.New("too many log-ins at once")
)

// authenticator checks Proxy-Authorization. A verified user+password is
// cached by its SHA-256 (the password itself is never kept), so argon2id
// runs once per credTTL rather than once per request; failures are counted
// per client IP and, past failMax a minute, refused without hashing; at
// most hashSlots checks run at once, so guessing cannot exhaust the CPU.
type authenticator struct {
	dir      identity.Directory
	sessions *identity.Sessions
	now      func() time.Time
	slots    chan struct{}

	mu    sync.Mutex
	creds map[[32]byte]*credEntry
	fails map[netip.Addr]*failCount
}

type credEntry struct {
	user     *identity.User
	until    time.Time
	lastSync map[netip.Addr]time.Time
}

type failCount struct {
	n     int
	since time.Time
}

func newAuthenticator(dir identity.Directory, sessions *identity.Sessions, now func() time.Time) *authenticator {
	return &authenticator{
		dir: dir, sessions: sessions, now: now,
		slots: make(chan struct{}, hashSlots),
		creds: map[[32]byte]*credEntry{},
		fails: map[netip.Addr]*failCount{},
	}
}

// check verifies the header's credentials for client and records the
// client IP → user session (for DNS) at most once per sessionResync.
func (a *authenticator) check(ctx context.Context, client netip.Addr, header string, ttl time.Duration) (*identity.User, error) {
	user, pass, ok := parseBasic(header)
	if !ok {
		return nil, errNoCredentials
	}
	key := sha256.Sum256([]byte(user + "\x00" + pass))
	now := a.now()
	a.mu.Lock()
	if e, ok := a.creds[key]; ok && now.Before(e.until) {
		resync := now.Sub(e.lastSync[client]) > sessionResync
		if resync {
			e.lastSync[client] = now
		}
		u := e.user
		a.mu.Unlock()
		if resync && a.sessions != nil {
			a.sessions.Set(client, u.Username, ttl)
		}
		return u, nil
	}
	if f, ok := a.fails[client]; ok {
		if now.Sub(f.since) > failWindow {
			delete(a.fails, client)
		} else if f.n >= failMax {
			a.mu.Unlock()
			return nil, identity.ErrRateLimited
		}
	}
	a.mu.Unlock()
	if a.dir == nil {
		return nil, identity.ErrBadCredentials
	}
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
	case <-t.C:
		return nil, errHashBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	u, err := a.dir.Authenticate(ctx, user, pass, client)
	<-a.slots
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		f := a.fails[client]
		if f == nil {
			f = &failCount{since: now}
			a.fails[client] = f
		}
		f.n++
		if len(a.fails) > credMax {
			a.fails = map[netip.Addr]*failCount{}
		}
		return nil, err
	}
	if len(a.creds) >= credMax {
		for k, e := range a.creds {
			if !now.Before(e.until) || len(a.creds) >= credMax {
				delete(a.creds, k)
			}
		}
	}
	a.creds[key] = &credEntry{user: u, until: now.Add(credTTL), lastSync: map[netip.Addr]time.Time{client: now}}
	if a.sessions != nil {
		a.sessions.Set(client, u.Username, ttl)
	}
	return u, nil
}

func parseBasic(h string) (user, pass string, ok bool) {
	const prefix = "basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[len(prefix):]))
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	return user, pass, ok && user != ""
}

// identify says who is asking: with proxy.auth basic the checked user
// (answering 407 or 429 and returning false otherwise); else the user
// logged in from this IP, if any, with their groups, or the IP's groups.
func (c *conn) identify(req *http.Request) (pages.Visitor, bool) {
	if c.tunnel != nil {
		return c.tunnel.v, true
	}
	snap := c.s.d.Engine.Snapshot()
	v := pages.Visitor{Client: c.client}
	if c.set.basic {
		u, err := c.s.auth.check(req.Context(), c.client, req.Header.Get("Proxy-Authorization"), c.set.sessionTTL)
		switch {
		case err == nil:
			v.User = u.Username
			v.Groups = userGroups(snap, u, c.client)
			return v, true
		case errors.Is(err, identity.ErrRateLimited):
			c.s.m.failed(errLoginLimited)
			c.s.d.Log.Warn("proxy: log-in attempts rate-limited")
			c.writeSimple(req, http.StatusTooManyRequests, "Too many wrong passwords: wait a minute and try again.", http.Header{"Retry-After": {"60"}})
			return v, false
		case errors.Is(err, errHashBusy):
			c.s.m.failed(errLoginLimited)
			c.writeSimple(req, http.StatusServiceUnavailable, "Too many log-ins at once: try again in a moment.", http.Header{"Retry-After": {"2"}})
			return v, false
		}
		if !errors.Is(err, errNoCredentials) {
			c.s.d.Log.Info("proxy: log-in failed", "reason", errReason(err))
		}
		c.s.m.failed(errAuthRequired)
		c.writeSimple(req, http.StatusProxyAuthRequired, "Log in with your school username and password.",
			http.Header{"Proxy-Authenticate": {`Basic realm="` + strings.ReplaceAll(c.set.realm, `"`, "'") + `", charset="UTF-8"`}})
		return v, false
	}
	return c.s.ident.ByIP(req.Context(), c.client), true
}

// userGroups is a user's groups (snap.UserGroups); a user in no group is
// placed by their IP.
func userGroups(snap *policy.Snapshot, u *identity.User, client netip.Addr) policy.Set {
	if set, ok := snap.UserGroups(u.Username, u.Groups); ok {
		return set
	}
	return snap.GroupsForIP(client)
}
