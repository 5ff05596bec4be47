package probe

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

func snapshot(t *testing.T) *policy.Snapshot {
	t.Helper()
	dir := t.TempDir()
	pol := "groups:\n  pupils: {networks: [10.20.0.0/16]}\n  sixth: {users: [s.test]}\n  visitors: {networks: [10.99.0.0/16]}\ndefault_group: visitors\ndefault: {others: allow}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "p.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestVerify: a token verifies under its key while fresh; a forged MAC,
// another key, an edited group, a stale token or a malformed one do not.
func TestVerify(t *testing.T) {
	key, other := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	now := time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC)
	tok, err := Sign(key, "pupils", "", now)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Verify(key, tok, now.Add(time.Minute)); err != nil || got.Group != "pupils" || got.User != "" {
		t.Fatalf("verify: %+v %v", got, err)
	}
	for name, c := range map[string]struct {
		key  []byte
		tok  string
		at   time.Time
		want error
	}{
		"other key":    {other, tok, now, ErrMAC},
		"edited group": {key, strings.Replace(tok, "|pupils|", "|staff|", 1), now, ErrMAC},
		"forged mac":   {key, tok[:len(tok)-64] + strings.Repeat("0", 64), now, ErrMAC},
		"stale":        {key, tok, now.Add(MaxAge + time.Second), ErrStale},
		"future":       {key, tok, now.Add(-MaxAge - time.Second), ErrStale},
		"malformed":    {key, "sg1|pupils", now, ErrMalformed},
		"empty":        {key, "", now, ErrMalformed},
	} {
		if _, err := Verify(c.key, c.tok, c.at); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if _, err := Sign(key, "a|b", "", now); err == nil {
		t.Error("a group with the separator signed")
	}
}

// TestWho: honoured from loopback with a valid token only; a test user
// is placed by the users: lists; an unknown group is not honoured.
func TestWho(t *testing.T) {
	snap := snapshot(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	v := NewVerifier(key, func() time.Time { return now })
	ctx := context.Background()
	lo, lan := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.20.0.5")
	pupils, _ := Sign(key, "pupils", "", now)
	w, ok := v.Who(ctx, snap, nil, lo, pupils)
	if gi, _ := snap.GroupIndex("pupils"); !ok || !w.Groups.Has(gi) || w.Groups.Count() != 1 {
		t.Fatalf("loopback probe: %+v %v", w, ok)
	}
	if _, ok := v.Who(ctx, snap, nil, netip.MustParseAddr("::1"), pupils); !ok {
		t.Error("::1 is loopback")
	}
	if _, ok := v.Who(ctx, snap, nil, lan, pupils); ok {
		t.Error("a probe from the LAN was honoured")
	}
	forged, _ := Sign([]byte("fedcba9876543210fedcba9876543210"), "pupils", "", now)
	if _, ok := v.Who(ctx, snap, nil, lo, forged); ok {
		t.Error("a probe signed with another key was honoured")
	}
	var none *Verifier
	if _, ok := none.Who(ctx, snap, nil, lo, pupils); ok {
		t.Error("a nil verifier honoured a probe")
	}
	unknown, _ := Sign(key, "nosuch", "", now)
	if _, ok := v.Who(ctx, snap, nil, lo, unknown); ok {
		t.Error("an unknown group was honoured")
	}
	user, _ := Sign(key, "sixth", "s.test", now)
	w, ok = v.Who(ctx, snap, nil, lo, user)
	if gi, _ := snap.GroupIndex("sixth"); !ok || w.User != "s.test" || !w.Groups.Has(gi) {
		t.Errorf("test user: %+v %v", w, ok)
	}
}
