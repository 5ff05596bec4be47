package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestAuditTamperDetection(t *testing.T) {
	backends(t, func(t *testing.T, open func(func() time.Time) *Store) {
		ctx := context.Background()
		s := open(newClock().Now)
		for i := 0; i < 5; i++ {
			if err := s.Audit(ctx, staff, "policy.reload", "policy", nil, map[string]int{"n": i}); err != nil {
				t.Fatal(err)
			}
		}
		id, head, err := s.AuditHead(ctx)
		if err != nil || id != 5 || len(head) != 64 {
			t.Fatalf("head %d %q %v", id, head, err)
		}
		check := func(wantBad int64, wantWord string, headArg string) {
			t.Helper()
			res, err := s.VerifyAudit(ctx, headArg)
			if err != nil {
				t.Fatal(err)
			}
			if res.BadID != wantBad || (wantBad != 0 && !strings.Contains(res.Problem, wantWord)) {
				t.Fatalf("verify: bad %d (%s), want %d (%s)", res.BadID, res.Problem, wantBad, wantWord)
			}
		}
		check(0, "", head)
		exec := func(q string) {
			t.Helper()
			if _, err := s.w.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		// Edited.
		exec(`UPDATE audit SET actor = 'someone-else' WHERE id = 3`)
		check(3, "edited", "")
		exec(`UPDATE audit SET actor = 'mrs.smith' WHERE id = 3`)
		check(0, "", head)
		// Deleted from the middle.
		var saved AuditRecord
		recs, _ := s.ListAudit(ctx, AuditFilter{})
		saved = recs[1]
		exec(`DELETE FROM audit WHERE id = 2`)
		check(3, "missing", "")
		// Re-inserted with different content but a recomputed hash: the
		// next record's previous-hash gives it away.
		forged := saved
		forged.After = `{"n":99}`
		forged.Hash = forged.ComputeHash()
		if _, err := s.w.ExecContext(ctx, `INSERT INTO audit (id, at, actor, origin, action, object, before, after, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			forged.ID, micro(forged.At), forged.Actor, forged.From, forged.Action, forged.Object, forged.Before, forged.After, forged.Prev, forged.Hash); err != nil {
			t.Fatal(err)
		}
		check(3, "previous-hash", "")
		exec(`DELETE FROM audit WHERE id = 2`)
		if _, err := s.w.ExecContext(ctx, `INSERT INTO audit (id, at, actor, origin, action, object, before, after, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			saved.ID, micro(saved.At), saved.Actor, saved.From, saved.Action, saved.Object, saved.Before, saved.After, saved.Prev, saved.Hash); err != nil {
			t.Fatal(err)
		}
		check(0, "", head)
		// A cut-off tail verifies on its own, but not against the head
		// written down before.
		exec(`DELETE FROM audit WHERE id >= 4`)
		check(0, "", "")
		check(4, "cut off", head)
		// Appending continues the chain from the new head.
		if err := s.Audit(ctx, staff, "x", "y", nil, nil); err != nil {
			t.Fatal(err)
		}
		check(0, "", "")
	})
}
