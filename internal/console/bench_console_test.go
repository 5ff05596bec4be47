package console

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// TestConsoleBench is the console's performance harness (BENCHMARKS.md
// "Console"), opt-in: SCHOOLGATE_BENCH_CONSOLE=1. It builds
// SCHOOLGATE_BENCH_CONSOLE_EVENTS activity events (default 10,000,000, one
// a second back from now, 5,000 pupils in four groups, a tenth in a
// category) and 5,000 people, rolls the hours up as serve does, signs in
// as the dsl (password and TOTP code; the technician for the people
// pages) and times every GET page and API
// endpoint SCHOOLGATE_BENCH_CONSOLE_RUNS times (default 40) after two
// warm-up calls, printing p50 and p95 against the targets (p95 < 50 ms,
// the activity page and search < 300 ms). SCHOOLGATE_BENCH_CONSOLE_DB=
// postgres runs it on PostgreSQL (SCHOOLGATE_TEST_POSTGRES).
func TestConsoleBench(t *testing.T) {
	if os.Getenv("SCHOOLGATE_BENCH_CONSOLE") != "1" {
		t.Skip("set SCHOOLGATE_BENCH_CONSOLE=1 (builds a large activity log)")
	}
	total := envInt(t, "SCHOOLGATE_BENCH_CONSOLE_EVENTS", 10_000_000)
	runs := envInt(t, "SCHOOLGATE_BENCH_CONSOLE_RUNS", 40)
	backend := "sqlite"
	if os.Getenv("SCHOOLGATE_BENCH_CONSOLE_DB") == "postgres" {
		backend = "postgres"
	}
	f := newFixture(t, backend)
	f.people()
	ctx := context.Background()
	now := f.clk.Now()

	built := time.Now()
	admin := store.Actor{Name: "office"}
	for i := range 5000 {
		u := identity.User{Username: fmt.Sprintf("pupil%d", i), DisplayName: fmt.Sprintf("Pupil %d", i), Roles: []identity.Role{identity.RolePupil}, YearGroup: "5"}
		if err := f.st.CreateUser(ctx, admin, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	people := time.Since(built)
	built = time.Now()
	groups := [][]string{{"pupils-ks2"}, {"pupils-ks2", "clubs"}, {"staff"}, {"visitors"}}
	cats := []string{"games", "social-media", "news", "search"}
	const batch = 8192
	ev := make([]activity.Event, 0, batch)
	for i := range total {
		e := activity.Event{Time: now.Add(-time.Duration(total-i) * time.Second), Client: netip.AddrFrom4([4]byte{10, 20, byte(i / 250 % 20), byte(i%250 + 1)}),
			User: fmt.Sprintf("pupil%d", i%5000), Groups: groups[i%len(groups)], Host: fmt.Sprintf("site%d.example.com", i%997),
			Verdict: "allow", Point: activity.PointDNS}
		if i%10 == 0 {
			e.Categories, e.Verdict = []string{cats[i/10%len(cats)]}, "block"
		}
		if i%3 == 0 {
			e.Point = activity.PointProxy
		}
		ev = append(ev, e)
		if len(ev) == batch || i == total-1 {
			if err := f.st.InsertEvents(ctx, ev); err != nil {
				t.Fatal(err)
			}
			ev = ev[:0]
		}
	}
	events := time.Since(built)
	built = time.Now()
	if _, err := f.st.Rollup(ctx, now); err != nil {
		t.Fatal(err)
	}
	t.Logf("built on %s: 5,000 people in %s, %d events in %s, rolled up in %s; load average %s", backend,
		people.Round(time.Millisecond), total, events.Round(time.Second), time.Since(built).Round(time.Second), loadAverage())

	b := f.browser()
	b.signIn("r-dsl", "")
	tech := f.browser() // the people pages are the technician's and slt's
	tech.signIn("r-technical", "")
	tok := f.token("r-dsl")
	since := now.Add(-24 * time.Hour).Format(time.RFC3339)
	pages := []struct {
		path  string
		api   bool
		limit time.Duration
	}{
		{"/", false, 50 * time.Millisecond},
		{"/requests", false, 50 * time.Millisecond},
		{"/grants", false, 50 * time.Millisecond},
		{"/activity?user=pupil17", false, 300 * time.Millisecond},
		{"/activity?group=pupils-ks2&verdict=block", false, 300 * time.Millisecond},
		{"/activity?host=site77.example.com", false, 300 * time.Millisecond},
		{"/people/pupil17/chronology", false, 300 * time.Millisecond},
		{"/concerns", false, 50 * time.Millisecond},
		{"/policy", false, 50 * time.Millisecond},
		{"/audit", false, 50 * time.Millisecond},
		{"/people", false, 50 * time.Millisecond},
		{"/people?q=pupil17", false, 50 * time.Millisecond},
		{"/people/pupil17", false, 50 * time.Millisecond},
		{"/aua", false, 50 * time.Millisecond},
		{"/devices", false, 50 * time.Millisecond},
		{"/subject-access", false, 50 * time.Millisecond},
		{"/api/v1/me", true, 50 * time.Millisecond},
		{"/api/v1/activity?user=pupil17&limit=100", true, 300 * time.Millisecond},
		{"/api/v1/activity/counts?by=day,category,verdict", true, 50 * time.Millisecond},
		{"/api/v1/activity/counts?by=group,verdict&since=" + since, true, 50 * time.Millisecond},
		{"/api/v1/activity/counts?by=hour,point&since=" + since, true, 50 * time.Millisecond},
		{"/api/v1/requests", true, 50 * time.Millisecond},
		{"/api/v1/concerns", true, 50 * time.Millisecond},
		{"/api/v1/audit?limit=100", true, 50 * time.Millisecond},
		{"/api/v1/policy/table", true, 50 * time.Millisecond},
	}
	var report strings.Builder
	fmt.Fprintf(&report, "\n| %s, %d events | p50 | p95 | target (p95) |\n|---|---|---|---|\n", backend, total)
	for _, p := range pages {
		call := func() int {
			if p.api {
				st, _ := f.api("GET", p.path, tok, "")
				return st
			}
			by := b
			if strings.HasPrefix(p.path, "/people") && !strings.HasSuffix(p.path, "/chronology") {
				by = tech
			}
			st, _, _ := by.do("GET", p.path, nil)
			return st
		}
		for range 2 {
			if st := call(); st != 200 {
				t.Fatalf("%s: %d", p.path, st)
			}
		}
		took := make([]time.Duration, runs)
		for i := range took {
			start := time.Now()
			call()
			took[i] = time.Since(start)
		}
		slices.Sort(took)
		p50, p95 := took[len(took)/2], took[len(took)*95/100]
		mark := "✓"
		if p95 > p.limit {
			mark = "missed"
		}
		fmt.Fprintf(&report, "| `%s` | %s | %s | < %s %s |\n", p.path, ms(p50), ms(p95), p.limit, mark)
	}
	t.Logf("load average %s%s", loadAverage(), report.String())
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
