package alerts

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// wordMatcher is a test KeywordMatcher: a list matches when the text
// holds one of its words.
type wordMatcher map[string][]string

func (m wordMatcher) MatchLists(text string) []string {
	var out []string
	for list, words := range m {
		for _, w := range words {
			if strings.Contains(strings.ToLower(text), w) {
				out = append(out, list)
				break
			}
		}
	}
	return out
}

// testPolicy parses a test policy: categories, groups and a schedule, with
// the alerts and keywords sections given.
func testPolicy(t testing.TB, extra string) *config.Config {
	t.Helper()
	doc := `site: {id: school, timezone: Europe/London}
categories:
  illegal-test: {illegal: true}
  gambling: {}
  self-harm: {}
  filter-bypass: {title: Proxies and VPNs}
  games: {}
schedules:
  school-day:
    - {days: [mon, tue, wed, thu, fri], from: "08:00", to: "16:00"}
groups:
  staff: {networks: [10.10.0.0/16]}
  pupils: {networks: [10.20.0.0/16]}
default_group: pupils
rules:
  gambling: {others: block}
default: {others: allow}
` + extra
	c, err := config.Parse("test.yaml", filepath.Join(t.TempDir(), "test.yaml"), []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// backends runs f on SQLite and, when SCHOOLGATE_TEST_POSTGRES is set,
// PostgreSQL.
func backends(t *testing.T, f func(t *testing.T, s *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "sg.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := store.Open(context.Background(), store.Options{PostgresDSN: storetest.PostgresDSN(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f(t, s)
	})
}
