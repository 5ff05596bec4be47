package cli

import (
	"context"
	"os"
	"schoolgate/internal/store/storetest"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

const lockedPolicy = `site: {name: Example Primary School, timezone: Europe/London}
categories:
  adult:
    title: Pornography
    locked: true
    sources: [{path: lists/adult.txt, format: domains}]
  social-media:
    sources: [{path: lists/social.txt, format: domains}]
groups:
  staff:      {networks: [10.10.0.0/16]}
  pupils-ks2: {networks: [10.20.0.0/16]}
rules:
  adult:        {others: block}
  social-media: {pupils-ks2: permission, others: allow}
default: allow
`

// TestCheckGrantOnLockedCategory is the case: a grant of adult
// content to a pupil, stored whoever made it, is not applied, and check
// says so; a grant on a permission cell still is. On SQLite, and on
// PostgreSQL when SCHOOLGATE_TEST_POSTGRES is set.
func TestCheckGrantOnLockedCategory(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "postgres" {
				t.Setenv("SCHOOLGATE_POSTGRES", storetest.PostgresDSN(t))
			} else {
				t.Setenv("SCHOOLGATE_POSTGRES", "")
			}
			p := writePolicy(t, lockedPolicy, map[string]string{"lists/adult.txt": "pornhub.com\n", "lists/social.txt": "facebook.com\n"})
			data := t.TempDir()
			if code, _, errs := run(t, "", "users", "add", "pupil7", "-c", p, "--data", data, "--role", "pupil", "--groups", "pupils-ks2", "--by", "admin"); code != 0 {
				t.Fatalf("users add: %s", errs)
			}
			cfg, err := config.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			st, err := openStore(ctx, os.Getenv, cfg, data, nil, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			until := time.Now().Add(30 * time.Minute)
			for _, cat := range []string{"adult", "social-media"} {
				o := policy.Override{Kind: store.KindGrant, User: "pupil7", Category: cat, Verdict: policy.Allow, Until: until, Reason: "test"}
				if _, err := st.CreateOverride(ctx, store.Actor{Name: "teacher1"}, o); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()

			code, out, errs := run(t, "", "check", "-c", p, "--data", data, "--user", "pupil7", "pornhub.com", "facebook.com")
			rs := decodeLines(t, out)
			if code != 0 || len(rs) != 2 {
				t.Fatalf("check: %d %s %s", code, out, errs)
			}
			adult := rs[0]
			if adult.Verdict != "block" || adult.Rule != "rules.adult.others" || len(adult.NotApplied) != 1 ||
				adult.NotApplied[0].Rule != "override:1" || adult.NotApplied[0].Why != "the category is locked: adult" {
				t.Errorf("grant of a locked category: %s", out)
			}
			if !strings.Contains(out, `"not_applied":[{"rule":"override:1","why":"the category is locked: adult"}]`) {
				t.Errorf("not_applied is not in the JSON: %s", out)
			}
			if social := rs[1]; social.Verdict != "allow" || social.Rule != "override:2" || social.NotApplied != nil {
				t.Errorf("grant of a permission cell: %s", out)
			}
		})
	}
}
