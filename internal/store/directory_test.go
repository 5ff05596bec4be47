package store

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/identity"
)

// TestDirectoryCredentialCache: the directory is the one credentials
// cache (the proxy keeps none): a verified password is reused, with the
// user's groups, until CacheTTL or Forget; a copy is returned, so a caller
// cannot change what the next caller sees.
func TestDirectoryCredentialCache(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		clk := newClock()
		s := open(clk.Now)
		if err := s.CreateUser(ctx, staff, identity.User{Username: "amy", Groups: []string{"staff"}}, ""); err != nil {
			t.Fatal(err)
		}
		setPw := func(pw string) {
			h, _ := identity.HashPassword(pw, identity.DefaultHashParams())
			if err := s.SetPassword(ctx, staff, "amy", h); err != nil {
				t.Fatal(err)
			}
		}
		setPw("first")
		d, err := NewDirectory(s, DirectoryOptions{CacheTTL: time.Minute, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		ip := netip.MustParseAddr("10.10.0.5")
		u, err := d.Authenticate(ctx, "amy", "first", ip)
		if err != nil || len(u.Groups) != 1 || u.Groups[0] != "staff" {
			t.Fatalf("first: %+v %v", u, err)
		}
		u.Groups[0] = "changed by a caller"
		setPw("second")
		// Cached: the old password still works for the cache's life, and
		// the copy's change did not leak into the cache.
		u, err = d.Authenticate(ctx, "amy", "first", ip)
		if err != nil || u.Groups[0] != "staff" {
			t.Fatalf("cached: %+v %v", u, err)
		}
		clk.Add(time.Minute + time.Second)
		if _, err := d.Authenticate(ctx, "amy", "first", ip); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("after CacheTTL the old password: %v", err)
		}
		if _, err := d.Authenticate(ctx, "amy", "second", ip); err != nil {
			t.Fatal(err)
		}
		setPw("third")
		d.Forget("amy")
		if _, err := d.Authenticate(ctx, "amy", "second", ip); !errors.Is(err, identity.ErrBadCredentials) {
			t.Fatalf("after Forget the old password: %v", err)
		}
	})
}

// TestDirectoryBusy: a password check that cannot get one of the bounded
// argon2id slots within BusyWait is refused with ErrBusy rather than
// queueing without end.
func TestDirectoryBusy(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		s := open(nil)
		d, err := NewDirectory(s, DirectoryOptions{Concurrency: 1, BusyWait: 50 * time.Millisecond, CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		d.sem <- struct{}{} // every slot taken
		start := time.Now()
		_, err = d.Authenticate(context.Background(), "amy", "x", netip.MustParseAddr("10.10.0.5"))
		if !errors.Is(err, identity.ErrBusy) {
			t.Fatalf("busy: %v", err)
		}
		if waited := time.Since(start); waited < 50*time.Millisecond || waited > 2*time.Second {
			t.Errorf("waited %s for a slot, want about BusyWait", waited)
		}
		<-d.sem
	})
}
