package pages

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// TestPortalSignInSessions: the sign-in page against the real directory
// (SQLite and PostgreSQL): a pupil's sign-in lasts identity.portal_session,
// a staff member's also ends after 30 minutes idle; a device whose sign-in
// staff ended refuses that person (after the password) but not another;
// the sign-in is an activity event and nobody is named in the system log.
func TestPortalSignInSessions(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			now := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			opt := store.Options{SQLitePath: filepath.Join(dir, "sg.db"), Now: clock}
			if backend == "postgres" {
				opt = store.Options{PostgresDSN: storetest.PostgresDSN(t), Now: clock}
			}
			st, err := store.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			const pass = "Volcano-Lava-Magma-42"
			hash, err := identity.HashPassword(pass, identity.DefaultHashParams())
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []identity.User{
				{Username: "amy", DisplayName: "Amy", Roles: []identity.Role{identity.RolePupil}},
				{Username: "mr-b", DisplayName: "Mr B", Roles: []identity.Role{identity.RoleTeacher}},
			} {
				if err := st.CreateUser(ctx, store.Actor{Name: "admin"}, u, hash); err != nil {
					t.Fatal(err)
				}
			}
			d, err := store.NewDirectory(st, store.DirectoryOptions{Now: clock})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "policy.yaml")
			if err := os.WriteFile(path, []byte("site: {name: Portal School}\nblockpage: {listen: 127.0.0.1:0}\nidentity: {portal_session: 6h}\ngroups:\n  devices: {networks: [10.40.0.0/16], portal: true}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			engine, err := policy.NewEngine(path, policy.Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			sessions := identity.NewSessions(clock)
			ev := &events{}
			var logBuf strings.Builder
			p, err := New(Options{Engine: engine, Activity: ev, Now: clock, Directory: d, Sessions: sessions, Log: logTo(&logBuf)})
			if err != nil {
				t.Fatal(err)
			}
			signIn := func(from, user string) (int, string) {
				t.Helper()
				form := url.Values{"username": {user}, "password": {pass}}
				r := httptest.NewRequest("POST", "http://captive.apple.com/signin", strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("Sec-Fetch-Site", "same-origin")
				w := httptest.NewRecorder()
				p.Portal(w, r, Visitor{Client: netip.MustParseAddr(from), Portal: true})
				return w.Code, w.Body.String()
			}
			tablet, laptop := netip.MustParseAddr("10.40.0.2"), netip.MustParseAddr("10.40.0.3")
			if st, body := signIn("10.40.0.2", "amy"); st != http.StatusOK || !strings.Contains(body, "15:00 on Monday 9 March") {
				t.Fatalf("pupil: %d\n%s", st, body)
			}
			if st, _ := signIn("10.40.0.3", "mr-b"); st != http.StatusOK {
				t.Fatalf("staff: %d", st)
			}
			now = now.Add(31 * time.Minute) // neither device asked anything
			if u, ok := sessions.Lookup(tablet); !ok || u != "amy" {
				t.Errorf("the pupil's sign-in after 31 idle minutes: %q %v", u, ok)
			}
			if _, ok := sessions.Lookup(laptop); ok {
				t.Error("the staff sign-in survived 31 idle minutes")
			}
			now = now.Add(6 * time.Hour)
			if _, ok := sessions.Lookup(tablet); ok {
				t.Error("the pupil's sign-in outlived portal_session")
			}

			// Staff end the tablet's sign-in: amy is refused there, not mr-b.
			if st, _ := signIn("10.40.0.2", "amy"); st != http.StatusOK {
				t.Fatal("amy again")
			}
			if _, ok := sessions.End(tablet); !ok {
				t.Fatal("end")
			}
			if st, body := signIn("10.40.0.2", "amy"); st != http.StatusForbidden || !strings.Contains(body, "ended your sign-in") {
				t.Errorf("after the end: %d\n%s", st, body)
			}
			if _, ok := sessions.Lookup(tablet); ok {
				t.Error("a refused sign-in signed the device in")
			}
			if st, _ := signIn("10.40.0.2", "mr-b"); st != http.StatusOK {
				t.Errorf("someone else after the end: %d", st)
			}
			n := 0
			for _, e := range ev.all() {
				if e.Action == PortalAction {
					n++
				}
			}
			if n != 4 {
				t.Errorf("%d portal-signin events, want 4", n)
			}
			if strings.Contains(logBuf.String(), "amy") || strings.Contains(logBuf.String(), "mr-b") {
				t.Errorf("a name in the system log:\n%s", logBuf.String())
			}
		})
	}
}

// events collects activity events.
type events struct {
	mu sync.Mutex
	ev []activity.Event
}

func (e *events) Log(ev activity.Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }

func (e *events) all() []activity.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.ev)
}

func logTo(b *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
