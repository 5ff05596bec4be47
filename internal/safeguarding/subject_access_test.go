package safeguarding

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// TestSubjectAccess: a dsl logs a request (due in a month), reviews
// everything held about a pupil with other people named by role,
// withholds an item under an exemption with a reason, and releases a ZIP
// without it. Nobody else may; the release is once.
func TestSubjectAccess(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		sar := NewSubjectRequests(SubjectAccessOptions{Store: f.st, Now: func() time.Time { return f.now },
			Retention: func() config.Retention { return config.Retention{Activity: config.Duration(365 * 24 * time.Hour)} }})
		dsl, head, teacher := f.actor(t, "ms.dsl"), f.actor(t, "head"), f.actor(t, "mr.teach")
		inc := f.incidents()

		// What is held about jsmith, and about amy (who must not appear).
		if err := f.st.InsertEvents(ctx, []activity.Event{
			{Time: f.now.Add(-time.Hour), Client: netip.MustParseAddr("10.20.0.5"), User: "jsmith", Host: "games.example", Verdict: "block", Categories: []string{"games"}, Point: activity.PointProxy, Search: "free games"},
			{Time: f.now.Add(-time.Hour), Client: netip.MustParseAddr("10.20.0.6"), User: "amy", Host: "amy-only.example", Verdict: "allow", Point: activity.PointDNS},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.CreateRequest(ctx, store.Request{User: "jsmith", Host: "games.example", Reason: "homework", Status: "pending"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.CreateConcern(ctx, store.Concern{User: "jsmith", Host: "social.example", Text: "amy sent me this"}); err != nil {
			t.Fatal(err)
		}
		in, err := inc.Record(ctx, f.actor(t, "mr.teach"), NewIncident{OccurredAt: f.now.Add(-2 * time.Hour), Category: "bullying-messages",
			Summary: "jsmith and amy traded insults; mr.teach intervened", People: []string{"jsmith", "amy"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inc.AddAction(ctx, dsl, in.ID, "ms.dsl spoke to both"); err != nil {
			t.Fatal(err)
		}

		// Only the dsl.
		for _, a := range []Actor{head, teacher} {
			if _, err := sar.Open(ctx, a, "jsmith", time.Time{}); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s opens a request: %v", a.Username, err)
			}
		}
		if _, err := sar.Open(ctx, dsl, "nobody", time.Time{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown person: %v", err)
		}
		req, err := sar.Open(ctx, dsl, "jsmith", f.now.Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if want := req.ReceivedAt.AddDate(0, 1, 0); !req.DueAt.Equal(want) {
			t.Errorf("due %s, want %s", req.DueAt, want)
		}
		e, ws, err := sar.Review(ctx, dsl, req.ID)
		if err != nil || len(ws) != 0 {
			t.Fatalf("review: %v %v", err, ws)
		}
		keys := strings.Join(e.Keys(), " ")
		for _, k := range []string{"activity", "request:", "concern:", "incident:"} {
			if !strings.Contains(keys, k) {
				t.Errorf("keys %q lack %s", keys, k)
			}
		}
		// Withholding needs a known item, a known exemption and a reason.
		if err := sar.Withhold(ctx, dsl, req.ID, "concern:999", "crime", "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown item: %v", err)
		}
		if err := sar.Withhold(ctx, dsl, req.ID, "request:1", "because", "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown exemption: %v", err)
		}
		var concernKey string
		for _, k := range e.Keys() {
			if strings.HasPrefix(k, "concern:") {
				concernKey = k
			}
		}
		if err := sar.Withhold(ctx, dsl, req.ID, concernKey, "serious-harm", ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("no reason: %v", err)
		}
		if err := sar.Withhold(ctx, dsl, req.ID, concernKey, "serious-harm", "the concern names a disclosure under investigation"); err != nil {
			t.Fatal(err)
		}
		out, err := sar.Release(ctx, dsl, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sar.Release(ctx, dsl, req.ID); !errors.Is(err, ErrInvalid) {
			t.Errorf("released twice: %v", err)
		}
		var buf bytes.Buffer
		if err := out.WriteZIP(&buf); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, zf := range zr.File {
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			files[zf.Name] = string(b)
		}
		js, html := files["export.json"], files["index.html"]
		if js == "" || html == "" {
			t.Fatalf("zip holds %v", len(files))
		}
		var parsed struct {
			Person   struct{ Username string }
			Withheld []struct{ Item, Exemption string }
		}
		if err := json.Unmarshal([]byte(js), &parsed); err != nil || parsed.Person.Username != "jsmith" || len(parsed.Withheld) != 1 {
			t.Fatalf("export.json: %+v %v", parsed, err)
		}
		for name, body := range files {
			for _, want := range []string{"games.example", "free games", "homework", "another pupil", "a member of staff", "spoke to both"} {
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks %q", name, want)
				}
			}
			for _, never := range []string{"amy", "mr.teach", "ms.dsl", "amy-only.example", "amy sent me this", "disclosure under investigation"} {
				if strings.Contains(body, never) {
					i := strings.Index(body, never)
					t.Errorf("%s holds %q: %s", name, never, body[max(0, i-200):i+20])
				}
			}
		}
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Object: "subject-request:" + jsonInt(req.ID)})
		if err != nil || len(recs) < 4 {
			t.Fatalf("audit: %d %v", len(recs), err)
		}
	})
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
