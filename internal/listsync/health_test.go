package listsync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// healthPolicy has a local list with entries, an empty local list, a url:
// source never downloaded, one downloaded long ago and one fresh. ORIGIN
// and LISTS are replaced.
const healthPolicy = `
categories:
  illegal:
    illegal: true
    sources: [{path: iwf.txt, format: domains}]
  video:
    sources: [{path: video.txt, format: domains}]
  gambling:
    sources:
      - {url: "ORIGIN/gambling", format: domains}
  social:
    sources:
      - {path: social.txt, format: domains}
      - {url: "ORIGIN/social", format: domains}
  games:
    sources: [{url: "ORIGIN/games", format: domains}]
  bypass:
    sources:
      - {path: video.txt, format: domains}
      - {url: "ORIGIN/doh", format: domains}
default: allow
LISTS`

// healthSetup writes the policy and its lists and downloads social (at
// checked) and games (now) from a loopback origin.
func healthSetup(t *testing.T, lists string, checked, now time.Time) (policyFile, data string) {
	t.Helper()
	o := newOrigin(t, "a.example\nb.example\n")
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	for name, body := range map[string]string{"iwf.txt": "# fill me in\n", "video.txt": "youtube.com\n", "social.txt": "facebook.com\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A school's own file is never stale, however old.
	year := now.Add(-365 * 24 * time.Hour)
	os.Chtimes(filepath.Join(dir, "video.txt"), year, year)
	policyFile = filepath.Join(dir, "policy.yaml")
	text := strings.ReplaceAll(strings.ReplaceAll(healthPolicy, "ORIGIN", o.URL), "LISTS", lists)
	if err := os.WriteFile(policyFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(data, "lists")
	os.MkdirAll(cache, 0o755)
	for url, at := range map[string]time.Time{o.URL + "/social": checked, o.URL + "/games": now.Add(-time.Hour)} {
		u := &Updater{Now: func() time.Time { return at }}
		if r := u.Fetch(context.Background(), url, "domains", policy.CachePath(cache, url)); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	return policyFile, data
}

func compileAt(t *testing.T, policyFile, data string) *policy.Snapshot {
	t.Helper()
	c, err := config.Load(policyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := policy.Compile(c, policy.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func problemsByCategory(ps []Problem) map[string]Problem {
	m := map[string]Problem{}
	for _, p := range ps {
		m[p.Category] = p
	}
	return m
}

// TestHealth: an empty category (local or never downloaded) and a stale
// url: copy are problems; a fresh copy and an old local file are not.
func TestHealth(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p, data := healthSetup(t, "", now.Add(-10*24*time.Hour), now)
	snap := compileAt(t, p, data)
	got := problemsByCategory(Health(snap, now))
	if len(got) != 4 {
		t.Errorf("problems: %v, want illegal, gambling, social and bypass", got)
	}
	want := map[string]string{
		"illegal":  "no entries: it filters nothing; iwf.txt (line 5) has 0 entries",
		"gambling": "no entries: it filters nothing; ORIGIN/gambling (line 10) has not been downloaded yet (schoolgate lists update)",
		"social":   "ORIGIN/social (line 14) was last checked 10d ago, more than lists.max_age (7d)",
		// Not empty, but a part of it is missing.
		"bypass": "ORIGIN/doh (line 20) has not been downloaded yet (schoolgate lists update)",
	}
	origin := strings.TrimSuffix(snap.Config().Categories[2].Value.Sources[0].URL, "/gambling")
	for cat, w := range want {
		w = strings.ReplaceAll(w, "ORIGIN", origin)
		if s := got[cat].String(); s != w {
			t.Errorf("%s:\n got  %q\n want %q", cat, s, w)
		}
	}
	if got["social"].Empty() || got["social"].Entries != 3 || !got["gambling"].Empty() {
		t.Errorf("entries: social %+v, gambling %+v", got["social"], got["gambling"])
	}
	if got["gambling"].Line != 8 {
		t.Errorf("gambling line %d, want 8", got["gambling"].Line)
	}

	// Status carries what the metrics export.
	for _, cs := range Status(snap, now) {
		for _, s := range cs.Sources {
			switch {
			case cs.Name == "social" && s.URL && (s.Age != 10*24*time.Hour || s.Missing):
				t.Errorf("social age %v missing %v", s.Age, s.Missing)
			case cs.Name == "games" && (s.Age != time.Hour || cs.Entries != 2):
				t.Errorf("games: age %v, entries %d", s.Age, cs.Entries)
			case cs.Name == "gambling" && !s.Missing:
				t.Errorf("gambling not missing")
			case cs.Name == "video" && (s.URL || s.Age != 0):
				t.Errorf("video: a local file has an age: %+v", s)
			}
		}
	}
}

// TestHealthMaxAge: lists.max_age off never reports a copy stale, but an
// empty category stays a problem; a longer max_age accepts the old copy.
func TestHealthMaxAge(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, lists := range []string{"lists: {max_age: off}", "lists: {max_age: 30d}"} {
		p, data := healthSetup(t, lists, now.Add(-10*24*time.Hour), now)
		got := problemsByCategory(Health(compileAt(t, p, data), now))
		if _, ok := got["social"]; ok || len(got) != 3 {
			t.Errorf("%s: %v, want only illegal, gambling and bypass", lists, got)
		}
	}
}
