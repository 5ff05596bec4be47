package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestEngineReload: a reload swaps the snapshot atomically while decisions
// go on; a broken policy keeps the old one in force and says why.
func TestEngineReload(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "g.txt")
	os.WriteFile(list, []byte("bet365.com\n"), 0o644)
	path := filepath.Join(dir, "p.yaml")
	good := "categories:\n  g:\n    sources: [{path: g.txt, format: domains}]\nrules:\n  g: {others: block}\n"
	os.WriteFile(path, []byte(good), 0o644)
	e, err := NewEngine(path, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	decide := func(host string) Verdict {
		d, _ := e.Decide(&Query{Host: host, At: time.Now()})
		return d.Verdict
	}
	if decide("bet365.com") != Block || decide("new.example") != Allow {
		t.Fatal("initial policy")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var decisions atomic.Int64
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if decide("bet365.com") != Block {
					t.Error("bet365.com allowed during a reload")
					return
				}
				decisions.Add(1)
			}
		}()
	}
	os.WriteFile(path, []byte(good+"colour: blue\n"), 0o644)
	old := e.Snapshot()
	if _, err := e.Reload(); err == nil || !errors.Is(err, ErrInvalid) {
		t.Fatalf("broken policy reloaded: %v", err)
	}
	if e.Snapshot() != old {
		t.Fatal("a failed reload replaced the snapshot")
	}
	os.WriteFile(list, []byte("bet365.com\nnew.example\n"), 0o644)
	os.WriteFile(path, []byte(good), 0o644)
	var notified atomic.Int32
	e.OnReload(func(*Snapshot) { notified.Add(1) })
	for i := 0; i < 5; i++ {
		if _, err := e.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if decide("new.example") != Block {
		t.Error("reload did not take the new list")
	}
	if notified.Load() != 5 || decisions.Load() == 0 {
		t.Errorf("notified %d, decisions %d", notified.Load(), decisions.Load())
	}
}

// TestEngineOverrides: overrides set on the engine reach decisions at once.
func TestEngineOverrides(t *testing.T) {
	s := loadGolden(t, "testdata/main.policytest")
	e := NewEngineFrom(s)
	g, _ := s.GroupIndex("pupils-ks2")
	var groups Set
	groups.Add(g)
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	d, _ := e.Decide(&Query{Host: "facebook.com", Groups: groups, At: at})
	if d.Verdict != Block || !d.NeedsPermission {
		t.Fatalf("before grant: %+v", d)
	}
	e.SetOverrides(NewOverrides([]Override{{ID: 7, Kind: "grant", Group: "pupils-ks2", Category: "social-media", Verdict: Allow, Until: at.Add(45 * time.Minute)}}))
	d, snap := e.Decide(&Query{Host: "facebook.com", Groups: groups, At: at})
	if d.Verdict != Allow || snap.Rule(&d) != "override:7" || !d.Until.Equal(at.Add(45*time.Minute)) {
		t.Fatalf("after grant: %+v %s", d, snap.Rule(&d))
	}
	d, _ = e.Decide(&Query{Host: "facebook.com", Groups: groups, At: at.Add(45 * time.Minute)})
	if d.Verdict != Block {
		t.Fatalf("grant expiry is exact: %+v", d)
	}
}

// TestUserGroups: an identified user's groups are the identity store's
// joined with the policy's users: lists, for every enforcement point.
func TestUserGroups(t *testing.T) {
	s := loadGolden(t, "testdata/main.policytest")
	names := func(set Set, ok bool) string { return fmt.Sprint(s.GroupNames(set), ok) }
	for _, tc := range []struct {
		user  string
		store []string
		want  string
	}{
		{"jbloggs", nil, "[nominated-staff staff] true"},
		{"jbloggs", []string{"pupils-ks2"}, "[nominated-staff staff pupils-ks2] true"},
		{"pupil7", []string{"pupils-ks2", "no-such-group"}, "[pupils-ks2] true"},
		{"nobody", nil, "[] false"},
	} {
		if got := names(s.UserGroups(tc.user, tc.store)); got != tc.want {
			t.Errorf("UserGroups(%s, %v) = %s, want %s", tc.user, tc.store, got, tc.want)
		}
	}
}
