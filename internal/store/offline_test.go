package store

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// TestDeferredOpen: a PostgreSQL that does not answer is an error wrapping
// ErrUnavailable, unless Deferred: then the Store comes back unreachable,
// and its directory answers from the local copy only (an unknown name is
// an error, never "not found", so nobody is cached as unknown).
func TestDeferredOpen(t *testing.T) {
	dsn := PostgresTestDSN(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = closed
	ctx := context.Background()
	if _, err := Open(ctx, Options{PostgresDSN: u.String()}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("open without Deferred: %v, want ErrUnavailable", err)
	}
	s, err := Open(ctx, Options{PostgresDSN: u.String(), Deferred: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if h := s.Health(); h.Reachable || !strings.Contains(h.Err, "connect") {
		t.Fatalf("health: %+v", h)
	}
	d, err := NewDirectory(s, DirectoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.SetLocal([]identity.User{{Username: "amy", Groups: []string{"pupils"}}})
	if got, err := d.Lookup(ctx, "amy"); err != nil || len(got.Groups) != 1 || got.Groups[0] != "pupils" {
		t.Errorf("amy from the local copy: %+v %v", got, err)
	}
	if _, err := d.Lookup(ctx, "zed"); err == nil || errors.Is(err, identity.ErrNotFound) {
		t.Errorf("a name not in the local copy: %v, want an error that is not ErrNotFound", err)
	}
	if _, err := d.Authenticate(ctx, "amy", "anything", netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("a password never verified accepted while the database is unreachable")
	}
}

// TestStaleCredentials: while the database cannot be asked, a credential
// verified within StaleFor still logs in (unless the local copy says the
// person is disabled); a wrong password, an older one, or another person
// does not.
func TestStaleCredentials(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		for _, name := range []string{"amy", "ben"} {
			if err := s.CreateUser(ctx, staff, identity.User{Username: name, Groups: []string{"staff"}}, ""); err != nil {
				t.Fatal(err)
			}
			h, _ := identity.HashPassword("pw-"+name, identity.HashParams{Time: 1, MemKiB: 1024, Threads: 1})
			if err := s.SetPassword(ctx, staff, name, h); err != nil {
				t.Fatal(err)
			}
		}
		d, err := NewDirectory(s, DirectoryOptions{CacheTTL: time.Minute, StaleFor: time.Hour, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		ip := netip.MustParseAddr("10.0.0.1")
		for _, name := range []string{"amy", "ben"} {
			if _, err := d.Authenticate(ctx, name, "pw-"+name, ip); err != nil {
				t.Fatal(err)
			}
		}
		s.health.set(false, ErrUnavailable) // the database stops answering
		clk.Add(10 * time.Minute)           // beyond CacheTTL
		if u, err := d.Authenticate(ctx, "amy", "pw-amy", ip); err != nil || u.Username != "amy" {
			t.Errorf("amy, verified 10 minutes ago: %+v %v", u, err)
		}
		if _, err := d.Authenticate(ctx, "amy", "wrong", ip); err == nil {
			t.Error("a wrong password accepted while cut off")
		}
		if _, err := d.Authenticate(ctx, "amy", "pw-ben", ip); err == nil {
			t.Error("another person's password accepted while cut off")
		}
		d.SetLocal([]identity.User{{Username: "ben", Disabled: true}})
		if _, err := d.Authenticate(ctx, "ben", "pw-ben", ip); !errors.Is(err, identity.ErrDisabled) {
			t.Errorf("ben, disabled in the local copy: %v", err)
		}
		clk.Add(time.Hour)
		if _, err := d.Authenticate(ctx, "amy", "pw-amy", ip); err == nil {
			t.Error("a credential verified more than StaleFor ago accepted")
		}
	})
}

// TestLocalCopy: the copy round-trips the users' groups, roles and state
// and the active overrides, leaves out names, e-mail addresses and
// reasons, and is 0600.
func TestLocalCopy(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		if err := s.CreateUser(ctx, staff, identity.User{Username: "amy", DisplayName: "Amy Secretname", Email: "amy@school.example",
			Roles: []identity.Role{identity.RolePupil}, YearGroup: "7", Groups: []string{"pupils"}}, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOverride(ctx, staff, policy.Override{Kind: "grant", User: "amy", Target: "games.example", Verdict: policy.Allow,
			Until: clk.Now().Add(time.Hour), Reason: "a private reason"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOverride(ctx, staff, policy.Override{Kind: "continue", Client: netip.MustParseAddr("10.0.0.9"), Category: "games",
			Verdict: policy.Allow, Until: clk.Now().Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		c, err := s.ReadLocalCopy(ctx, DefaultSite)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "local-copy.json")
		if err := WriteLocalCopy(path, c); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v %v", fi.Mode(), err)
		}
		raw, _ := os.ReadFile(path)
		for _, secret := range []string{"Secretname", "school.example", "private reason"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("the local copy keeps %q", secret)
			}
		}
		got, err := LoadLocalCopy(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Users) != 1 || got.Users[0].Username != "amy" || got.Users[0].YearGroup != "7" || len(got.Users[0].Roles) != 1 ||
			got.Users[0].Groups[0] != "pupils" {
			t.Errorf("users: %+v", got.Users)
		}
		if len(got.Overrides) != 2 || got.Overrides[0].Target != "games.example" || got.Overrides[0].Verdict != policy.Allow ||
			!got.Overrides[0].Until.Equal(c.Overrides[0].Until) || got.Overrides[1].Client != netip.MustParseAddr("10.0.0.9") {
			t.Errorf("overrides: %+v", got.Overrides)
		}
		os.WriteFile(path, []byte(`{"overrides":[{"kind":"grant","user":"amy","verdict":"maybe"}]}`), 0o600)
		if _, err := LoadLocalCopy(path); !errors.Is(err, ErrLocalCopy) {
			t.Errorf("a damaged copy: %v", err)
		}
	})
}
