package oidcstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/oidcflow"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// stores runs f on SQLite, and on PostgreSQL in a schema of its own when
// SCHOOLGATE_TEST_POSTGRES is set.
func stores(t *testing.T, f func(t *testing.T, st *store.Store)) {
	run := func(t *testing.T, opt store.Options) {
		st, err := store.Open(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		f(t, st)
	}
	t.Run("sqlite", func(t *testing.T) {
		run(t, store.Options{SQLitePath: filepath.Join(t.TempDir(), "sg.db")})
	})
	t.Run("postgres", func(t *testing.T) {
		run(t, store.Options{PostgresDSN: storetest.PostgresDSN(t)})
	})
}

// TestAdapter: the database behind a provider sign-in speaks oidcflow's
// errors (not found, bound elsewhere, a bad username), keeps one key per
// name, and audits its changes as the provider; oidcflow.Match through it
// binds a person the first time, finds them by the binding after, and
// refuses a second account for the same person and someone unknown.
func TestAdapter(t *testing.T) {
	if New(nil) != nil {
		t.Fatal("a nil store must give no oidcflow.Store (the page then offers no provider)")
	}
	stores(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		db := New(st)
		k1, err := db.Secret(ctx, "portal-oidc-state", 32)
		if err != nil || len(k1) != 32 {
			t.Fatalf("secret: %d bytes, %v", len(k1), err)
		}
		if k2, err := db.Secret(ctx, "portal-oidc-state", 32); err != nil || string(k2) != string(k1) {
			t.Fatalf("the same secret again differs: %v", err)
		}
		if _, err := db.Bound(ctx, "school", "sub-1"); !errors.Is(err, oidcflow.ErrNotFound) {
			t.Errorf("unbound subject: %v, want ErrNotFound", err)
		}
		if _, err := db.User(ctx, "nobody"); !errors.Is(err, oidcflow.ErrNotFound) {
			t.Errorf("unknown person: %v, want ErrNotFound", err)
		}
		if _, err := db.UsernameByEmail(ctx, "nobody@school.example"); !errors.Is(err, oidcflow.ErrNotFound) {
			t.Errorf("unknown address: %v, want ErrNotFound", err)
		}
		if err := db.CreateUser(ctx, "school", identity.User{Username: "Not A Name", Roles: []identity.Role{identity.RolePupil}}); !errors.Is(err, oidcflow.ErrBadUsername) {
			t.Errorf("a bad username: %v, want ErrBadUsername", err)
		}
		if err := st.CreateUser(ctx, store.Actor{Name: "office"}, identity.User{Username: "amy", Email: "amy@school.example", Roles: []identity.Role{identity.RolePupil}}, ""); err != nil {
			t.Fatal(err)
		}

		p := config.OIDCProvider{Name: "school", UsernameClaim: "preferred_username", AllowedDomains: []string{"school.example"}}
		claims := oidcflow.Claims{"sub": "sub-1", "email": "amy@school.example", "email_verified": true}
		u, err := oidcflow.Match(ctx, db, p, claims)
		if err != nil || u.Username != "amy" {
			t.Fatalf("match by verified address: %+v %v", u, err)
		}
		if got, err := db.Bound(ctx, "school", "sub-1"); err != nil || got != "amy" {
			t.Errorf("binding: %q %v", got, err)
		}
		// Renamed at the provider: the binding still finds her.
		if u, err := oidcflow.Match(ctx, db, p, oidcflow.Claims{"sub": "sub-1", "email": "amy.renamed@school.example", "email_verified": true}); err != nil || u.Username != "amy" {
			t.Errorf("match by binding: %+v %v", u, err)
		}
		// Another provider account with her address: refused.
		var ref *oidcflow.Refusal
		if _, err := oidcflow.Match(ctx, db, p, oidcflow.Claims{"sub": "sub-2", "email": "amy@school.example", "email_verified": true}); !errors.As(err, &ref) {
			t.Errorf("a second account for amy: %v, want a refusal", err)
		}
		if err := db.Bind(ctx, "school", "sub-3", "amy"); !errors.Is(err, oidcflow.ErrBoundElsewhere) {
			t.Errorf("bind amy again: %v, want ErrBoundElsewhere", err)
		}
		if _, err := oidcflow.Match(ctx, db, p, oidcflow.Claims{"sub": "sub-4", "preferred_username": "stranger", "email": "stranger@school.example", "email_verified": true}); !errors.As(err, &ref) || ref.Msg != "that account is not in the school's directory" {
			t.Errorf("a stranger: %v", err)
		}
		recs, err := st.ListAudit(ctx, store.AuditFilter{Action: "user.oidc.bind"})
		if err != nil || len(recs) != 1 || recs[0].Actor != "oidc:school" || recs[0].From != "sign-in" || recs[0].Object != "user:amy" {
			t.Errorf("the binding's audit record: %+v %v", recs, err)
		}
	})
}
