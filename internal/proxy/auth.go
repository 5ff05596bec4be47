package proxy

import (
	"context"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"time"

	"schoolgate/internal/identity"
)

// sessionResync is how often a logged-in client's address → user session
// (which DNS reads) is refreshed.
const sessionResync = time.Minute

// maxSyncKeys bounds the resync map; past it the map starts again.
const maxSyncKeys = 1 << 14

var errNoCredentials = errors.New("no proxy credentials")

// authenticator checks Proxy-Authorization against the directory, which
// owns the verified-credentials cache, the per-client and per-account
// failure limits and the bound on concurrent argon2id checks (one place
// for all of them, shared with every other sign-in). What is left here is
// the proxy's own part: reading the header, and recording the client
// address → user session for DNS at most once per sessionResync.
type authenticator struct {
	dir      identity.Directory
	sessions *identity.Sessions
	now      func() time.Time

	mu   sync.Mutex
	sync map[netip.Addr]synced
}

type synced struct {
	user string
	at   time.Time
}

func newAuthenticator(dir identity.Directory, sessions *identity.Sessions, now func() time.Time) *authenticator {
	return &authenticator{dir: dir, sessions: sessions, now: now, sync: map[netip.Addr]synced{}}
}

// check verifies the header's credentials for client and records the
// session.
func (a *authenticator) check(ctx context.Context, client netip.Addr, header string, ttl time.Duration) (*identity.User, error) {
	user, pass, ok := parseBasic(header)
	if !ok {
		return nil, errNoCredentials
	}
	if a.dir == nil {
		return nil, identity.ErrBadCredentials
	}
	u, err := a.dir.Authenticate(ctx, user, pass, client)
	if err != nil {
		return nil, err
	}
	if a.sessions != nil {
		// Staff ended this person's sign-in here: the saved password
		// does not sign them back in (checked after the password, so
		// the answer tells nothing to someone who does not know it).
		if err := a.sessions.Ended(client, u.Username); err != nil {
			return nil, err
		}
		now := a.now()
		a.mu.Lock()
		s, ok := a.sync[client]
		resync := !ok || s.user != u.Username || now.Sub(s.at) > sessionResync
		if resync {
			if len(a.sync) >= maxSyncKeys {
				clear(a.sync)
			}
			a.sync[client] = synced{user: u.Username, at: now}
		}
		a.mu.Unlock()
		if resync {
			a.sessions.Set(client, u.Username, ttl)
		}
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
