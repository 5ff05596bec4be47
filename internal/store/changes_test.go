package store

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// seenWithin is how soon a watcher must see another node's change: a
// second on PostgreSQL, where NOTIFY brings it; on SQLite another process's
// change waits for the poll, a second and a read.
func seenWithin(s *Store) time.Duration {
	if s.Dialect() == Postgres {
		return time.Second
	}
	return changePoll + 500*time.Millisecond
}

// waitKind waits for kind on w and returns how long it took.
func waitKind(t *testing.T, w *ChangeWatch, kind Kinds, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(within)
	for {
		select {
		case <-w.C():
			if w.Take().Has(kind) {
				return time.Since(start)
			}
		case <-deadline:
			t.Fatalf("no %s change seen within %v", kind, within)
		}
	}
}

// drain takes what a new watch starts with (every kind) and whatever
// follows at once.
func drain(w *ChangeWatch) {
	for {
		select {
		case <-w.C():
			w.Take()
		case <-time.After(1500 * time.Millisecond):
			return
		}
	}
}

// TestWatchChangesTwoNodes: two Stores on one database, as two nodes. Each
// kind of change made on A is seen by B's watcher within the bound
// (NOTIFY on PostgreSQL, the poll on SQLite); a change of one kind
// reports that kind, not the others; a failed transaction bumps nothing.
func TestWatchChangesTwoNodes(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := open(time.Now), open(time.Now)
		w := b.WatchChanges(ctx)
		if k := w.Take(); k != AllChanges {
			t.Fatalf("a new watch starts with %v, want every kind", k)
		}
		drain(w)
		within := seenWithin(b)

		o, err := a.CreateOverride(ctx, staff, policy.Override{User: "amy", Verdict: policy.Allow, Until: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("grant seen after %v", waitKind(t, w, ChangeOverrides, within))
		if err := a.CreateUser(ctx, staff, identity.User{Username: "jo", Roles: []identity.Role{identity.RoleTeacher}}, "x"); err != nil {
			t.Fatal(err)
		}
		waitKind(t, w, ChangeUsers, within)
		tok, err := a.CreateAPIToken(ctx, staff, APIToken{Name: "mis", Username: "jo", Created: time.Now(), Expires: time.Now().Add(time.Hour)}, "h1")
		if err != nil {
			t.Fatal(err)
		}
		waitKind(t, w, ChangeTokens, within)
		if err := a.RevokeAPIToken(ctx, staff, tok.ID); err != nil {
			t.Fatal(err)
		}
		waitKind(t, w, ChangeTokens, within)
		if err := a.Touch(ctx, staff, ChangePolicy); err != nil {
			t.Fatal(err)
		}
		waitKind(t, w, ChangePolicy, within)
		if _, err := a.CreateAPIToken(ctx, staff, APIToken{Name: "mis2", Username: "jo", Created: time.Now(), Expires: time.Now().Add(time.Hour)}, "h2"); err != nil {
			t.Fatal(err)
		}
		waitKind(t, w, ChangeTokens, within)
		// Disabling someone ends their console sessions and revokes their
		// live token in the same transaction: three kinds.
		if err := a.SetDisabled(ctx, staff, "jo", true); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var got Kinds
		for got != ChangeUsers|ChangeSessions|ChangeTokens {
			select {
			case <-w.C():
				got |= w.Take()
			case <-time.After(within - time.Since(start)):
				t.Fatalf("disabling someone: %v seen, want users, sessions and tokens", got)
			}
		}
		if err := a.RevokeOverride(ctx, staff, DefaultSite, o.ID, "done"); err != nil {
			t.Fatal(err)
		}
		waitKind(t, w, ChangeOverrides, within)

		// A refused change (the user exists) bumps no counter.
		before, err := b.changeVersions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.CreateUser(ctx, staff, identity.User{Username: "jo"}, ""); !errors.Is(err, ErrExists) {
			t.Fatalf("second jo: %v", err)
		}
		after, _ := b.changeVersions(ctx)
		if after[ChangeUsers] != before[ChangeUsers] {
			t.Errorf("a refused change bumped users: %d → %d", before[ChangeUsers], after[ChangeUsers])
		}
	})
}

// TestDirectoryRefreshOtherNode: a person whose password node B has
// verified (and cached) is disabled through node A: B refuses them within
// the bound, while another person's cached credential stays cached (no
// rehash of everyone). A new password set on A makes B drop the old one.
func TestDirectoryRefreshOtherNode(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := open(time.Now), open(time.Now)
		hash, _ := identity.HashPassword("Pupil-Pass-1", identity.DefaultHashParams())
		for _, name := range []string{"jo.pupil", "amy.pupil"} {
			if err := a.CreateUser(ctx, staff, identity.User{Username: name, Roles: []identity.Role{identity.RolePupil}, Groups: []string{"pupils"}}, hash); err != nil {
				t.Fatal(err)
			}
		}
		dir, err := NewDirectory(b, DirectoryOptions{CacheTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		ip := netip.MustParseAddr("10.0.0.7")
		for _, name := range []string{"jo.pupil", "amy.pupil"} {
			if _, err := dir.Authenticate(ctx, name, "Pupil-Pass-1", ip); err != nil {
				t.Fatal(err)
			}
		}
		// B follows changes as serve does (serve_changes.go).
		w := b.WatchChanges(ctx)
		refreshed := make(chan struct{}, 16)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-w.C():
					if w.Take().Has(ChangeUsers) {
						if err := dir.Refresh(ctx); err != nil && ctx.Err() == nil {
							t.Error(err)
						}
						refreshed <- struct{}{}
					}
				}
			}
		}()
		<-refreshed // the watch's first signal: nothing changed yet
		if _, err := dir.Authenticate(ctx, "jo.pupil", "Pupil-Pass-1", ip); err != nil {
			t.Fatalf("jo.pupil before the change: %v", err)
		}

		start := time.Now()
		if err := a.SetDisabled(ctx, staff, "jo.pupil", true); err != nil {
			t.Fatal(err)
		}
		within := seenWithin(b)
		for {
			_, err := dir.Authenticate(ctx, "jo.pupil", "Pupil-Pass-1", ip)
			if errors.Is(err, identity.ErrDisabled) {
				t.Logf("disabled on A, refused by B after %v", time.Since(start))
				break
			}
			if err != nil {
				t.Fatalf("jo.pupil after being disabled: %v, want ErrDisabled", err)
			}
			if time.Since(start) > within {
				t.Fatalf("jo.pupil, disabled on A, still accepted by B after %v", within)
			}
			time.Sleep(10 * time.Millisecond)
		}
		dir.mu.Lock()
		n := len(dir.cache)
		var kept bool
		for _, c := range dir.cache {
			kept = kept || c.user.Username == "amy.pupil"
		}
		dir.mu.Unlock()
		if n != 1 || !kept {
			t.Errorf("after jo.pupil's change the cache holds %d credentials (amy.pupil's kept: %v), want only amy.pupil's", n, kept)
		}

		newHash, _ := identity.HashPassword("New-Pass-2", identity.DefaultHashParams())
		start = time.Now()
		if err := a.SetPassword(ctx, staff, "amy.pupil", newHash); err != nil {
			t.Fatal(err)
		}
		for {
			_, err := dir.Authenticate(ctx, "amy.pupil", "Pupil-Pass-1", ip)
			if errors.Is(err, identity.ErrBadCredentials) {
				break
			}
			if time.Since(start) > within {
				t.Fatalf("amy.pupil's old password still accepted by B after %v: %v", within, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestAPITokenRevokedOtherNode: tokens are not cached: a token revoked
// through A is refused by B's very next check.
func TestAPITokenRevokedOtherNode(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		a, b := open(time.Now), open(time.Now)
		if err := a.CreateUser(ctx, staff, identity.User{Username: "it.lead", Roles: []identity.Role{identity.RoleTechnical}}, ""); err != nil {
			t.Fatal(err)
		}
		tok, err := a.CreateAPIToken(ctx, staff, APIToken{Name: "mis", Username: "it.lead", Created: time.Now(), Expires: time.Now().Add(time.Hour)}, "hash-1")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := b.LookupAPIToken(ctx, "hash-1"); err != nil || !got.Revoked.IsZero() {
			t.Fatalf("B before: %+v %v", got, err)
		}
		if err := a.RevokeAPIToken(ctx, staff, tok.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := b.LookupAPIToken(ctx, "hash-1"); err != nil || got.Revoked.IsZero() {
			t.Fatalf("B right after A revoked it: %+v %v", got, err)
		}
	})
}

// TestChangesListenKilled: PostgreSQL ends the LISTEN connection
// (pg_terminate_backend). A change made meanwhile is still seen within
// the poll's bound, the watcher reconnects, and after that a change is
// seen by notification again.
func TestChangesListenKilled(t *testing.T) {
	dsn := PostgresTestDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := openTest(t, Options{PostgresDSN: dsn})
	b := openTest(t, Options{PostgresDSN: dsn})
	w := b.WatchChanges(ctx)
	listening := func() uint32 {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if pid := b.changes.listenPID.Load(); pid != 0 {
				return pid
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("no LISTEN connection within 10s")
		return 0
	}
	pid := listening()
	drain(w)
	var ok bool
	if err := a.r.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, int64(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d): %v %v", pid, ok, err)
	}
	if _, err := a.CreateOverride(ctx, staff, policy.Override{User: "amy", Verdict: policy.Allow, Until: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	t.Logf("with the LISTEN connection killed, the grant seen after %v", waitKind(t, w, ChangeOverrides, changePoll+500*time.Millisecond))
	again := listening()
	if again == pid {
		t.Fatalf("still the killed connection %d", pid)
	}
	drain(w) // the reconnect reports every kind once
	// Seen by notification: well inside the poll's second, every time.
	for i := range 5 {
		if _, err := a.CreateOverride(ctx, staff, policy.Override{User: "amy", Verdict: policy.Allow, Until: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if d := waitKind(t, w, ChangeOverrides, time.Second); d > 300*time.Millisecond {
			t.Errorf("grant %d after the reconnect seen after %v: not by notification", i, d)
		}
	}
}
