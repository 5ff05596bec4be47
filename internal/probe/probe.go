// Package probe is how the self-test's probes say which group they stand
// for: a token carrying the group (and, for a group defined only by
// users, a test user), the time, a nonce and an HMAC-SHA256 under a key
// from the node's secrets store. The DNS resolver reads it from an EDNS0
// local option, the proxy from a request header; both honour it only
// from a loopback address and with a valid, fresh MAC. Anything else is
// ignored: the query is placed as its address would be (fail safe).
package probe

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// OptionCode is the EDNS0 option a DNS probe carries its token in (one of
// the local/experimental codes, RFC 6891 9).
const OptionCode = 65431

// Header is the request header a proxy probe carries its token in; the
// proxy never forwards it.
const Header = "X-Schoolgate-Probe"

// VerdictHeader is set on the proxy's answer to an honoured probe: block,
// warn or allow (an allowed probe is answered by the proxy itself, never
// sent to the site).
const VerdictHeader = "X-Schoolgate-Probe-Verdict"

// SecretName is the probe key's name in the secrets store.
const SecretName = "selftest-probe"

// SecretSize is the key's size in bytes.
const SecretSize = 32

// MaxAge is how far a token's time may be from the node's clock.
const MaxAge = 2 * time.Minute

// Errors of Verify.
var (
	ErrMalformed = errors.New("probe token malformed")
	ErrMAC       = errors.New("probe token MAC does not verify")
	ErrStale     = errors.New("probe token too old or from the future")
)

const version = "sg1"

// Token is what a probe stands for.
type Token struct {
	Group string
	User  string // "" but for a group defined only by users
	At    time.Time
	Nonce string
}

func (t Token) payload() string {
	return strings.Join([]string{version, t.Group, t.User, strconv.FormatInt(t.At.Unix(), 10), t.Nonce}, "|")
}

func mac(key []byte, payload string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return hex.EncodeToString(h.Sum(nil))
}

// Sign makes the token text for group (and user) at time at.
func Sign(key []byte, group, user string, at time.Time) (string, error) {
	if len(key) < 16 {
		return "", fmt.Errorf("probe: key too short")
	}
	if group == "" || strings.ContainsAny(group+user, "| ") {
		return "", fmt.Errorf("probe: %w: group %q, user %q", ErrMalformed, group, user)
	}
	var n [8]byte
	if _, err := rand.Read(n[:]); err != nil {
		return "", err
	}
	t := Token{Group: group, User: user, At: at, Nonce: hex.EncodeToString(n[:])}
	p := t.payload()
	return p + "|" + mac(key, p), nil
}

// Verify checks a token's MAC under key and its age at now.
func Verify(key []byte, s string, now time.Time) (Token, error) {
	parts := strings.Split(s, "|")
	if len(key) < 16 || len(parts) != 6 || parts[0] != version || parts[1] == "" {
		return Token{}, ErrMalformed
	}
	sec, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return Token{}, ErrMalformed
	}
	t := Token{Group: parts[1], User: parts[2], At: time.Unix(sec, 0), Nonce: parts[4]}
	if !hmac.Equal([]byte(mac(key, t.payload())), []byte(parts[5])) {
		return Token{}, ErrMAC
	}
	if d := now.Sub(t.At); d > MaxAge || d < -MaxAge {
		return Token{}, ErrStale
	}
	return t, nil
}

// Verifier honours probes for the DNS resolver and the proxy. A nil
// Verifier honours none.
type Verifier struct {
	key []byte
	now func() time.Time
}

// NewVerifier makes a Verifier with the node's probe key.
func NewVerifier(key []byte, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{key: key, now: now}
}

// Who places a probe: ok only when client is a loopback address, the
// token verifies and names a group of the policy. The group's own set,
// or for a token with a user, whoever the identity resolver says that
// user is (their directory and users: groups).
func (v *Verifier) Who(ctx context.Context, snap *policy.Snapshot, ident *identity.Resolver, client netip.Addr, token string) (identity.Who, bool) {
	if v == nil || token == "" || !client.Unmap().IsLoopback() {
		return identity.Who{}, false
	}
	t, err := Verify(v.key, token, v.now())
	if err != nil {
		return identity.Who{}, false
	}
	if _, ok := snap.GroupIndex(t.Group); !ok {
		return identity.Who{}, false
	}
	if t.User != "" {
		w := ident.User(ctx, snap, t.User, client, nil)
		return w, w.User != ""
	}
	return identity.Who{Groups: snap.GroupSet([]string{t.Group})}, true
}
