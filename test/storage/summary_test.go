package storage

import (
	"context"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
)

// TestActivitySummary: events older than the DNS retention are purged by
// `activity purge`, which rolls their hours up first, so `activity
// summary` still counts them; the summary is audited.
func TestActivitySummary(t *testing.T) {
	data := t.TempDir()
	// Create the database with the binary, then write events into it as
	// serve's writer would.
	if _, errOut, code := run(t, data, "", "activity", "purge", "--dry-run"); code != 0 {
		t.Fatalf("purge --dry-run: %s", errOut)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var events []activity.Event
	for i, at := range []time.Time{now.Add(-40 * 24 * time.Hour), now.Add(-24 * time.Hour)} {
		for j := range 30 {
			e := activity.Event{Time: at.Add(time.Duration(j) * time.Second), Client: netip.MustParseAddr("10.20.0.7"),
				Host: "www.example.com", Verdict: "allow", Rule: "default", Point: activity.PointDNS}
			if j%3 == 0 {
				e.Categories, e.Verdict = []string{"games"}, "block"
			}
			if i == 1 && j%2 == 0 {
				e.User, e.Point = "amy", activity.PointProxy
			}
			events = append(events, e)
		}
	}
	if err := s.InsertEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	s.Close()

	out, errOut, code := run(t, data, "", "activity", "purge")
	if code != 0 || !strings.HasPrefix(out, "purged: 30 DNS events") {
		t.Fatalf("purge: %d %s %s", code, out, errOut)
	}
	out, errOut, code = run(t, data, "", "activity", "summary", "--since", "60d", "--count-by", "category,verdict", "--format", "csv", "--by", "esafety")
	if want := "category,verdict,count\n,allow,40\ngames,block,20\n"; code != 0 || out != want {
		t.Fatalf("summary csv: %d %q %s, want %q", code, out, errOut, want)
	}
	out, _, code = run(t, data, "", "activity", "summary", "--since", "60d", "--count-by", "point", "--by", "esafety")
	if code != 0 || !strings.Contains(out, "POINT") || !strings.Contains(out, "dns") || !hasTotal(out, 60) {
		t.Fatalf("summary table: %d\n%s", code, out)
	}
	if _, errOut, code := run(t, data, "", "activity", "summary", "--count-by", "colour"); code != 2 || !strings.Contains(errOut, `"colour"`) {
		t.Fatalf("bad key: %d %s", code, errOut)
	}
	if out, _, _ := run(t, data, "", "audit", "list", "--action", "activity.summary"); !strings.Contains(out, `"actor":"esafety"`) {
		t.Fatalf("summary not audited: %s", out)
	}
}

// hasTotal reports whether a summary table ends with TOTAL n.
func hasTotal(out string, n int) bool {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "TOTAL" {
			return f[1] == strconv.Itoa(n)
		}
	}
	return false
}
