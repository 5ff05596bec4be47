package cli

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"schoolgate/internal/alerts/notify"
	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// TestNotifyAudit: a notification delivered (to a webhook on loopback)
// and one given up on are both in the audit chain, on SQLite and
// PostgreSQL, and the chain still verifies.
func TestNotifyAudit(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer ok.Close()
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer gone.Close()
	cliBackends(t, func(t *testing.T, data string, open func() *store.Store) {
		st := open()
		cfg, err := config.Parse("policy.yaml", filepath.Join(data, "policy.yaml"), []byte(`alerts:
  console_url: https://console.school.example
  webhooks:
    - {name: records, url: "`+ok.URL+`", secret_env: K}
    - {name: old, url: "`+gone.URL+`", secret_env: K, severities: [5]}
`))
		if err != nil {
			t.Fatal(err)
		}
		d := &serveDeps{log: slog.New(slog.DiscardHandler)}
		n, err := notify.New(cfg, notify.Options{Audit: notifyAudit(st, d), Getenv: func(string) string { return "k" }})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		n.Raised(context.Background(), notify.Alert{ID: 77, Severity: 5, Title: "Illegal content", At: time.Now()})

		ctx := context.Background()
		deadline := time.Now().Add(10 * time.Second)
		var sent, failed []store.AuditRecord
		for len(sent)+len(failed) < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			sent, _ = st.ListAudit(ctx, store.AuditFilter{Action: notify.ActionSent, Object: "alert:77"})
			failed, _ = st.ListAudit(ctx, store.AuditFilter{Action: notify.ActionFailed, Object: "alert:77"})
		}
		if len(sent) != 1 || sent[0].After != `{"to":"webhook:records"}` || sent[0].Actor != "schoolgate" || sent[0].From != "alerts" {
			t.Errorf("sent: %+v", sent)
		}
		if len(failed) != 1 || failed[0].After != `{"to":"webhook:old"}` {
			t.Errorf("failed: %+v", failed)
		}
		if res, err := st.VerifyAudit(ctx, ""); err != nil || res.BadID != 0 || res.Records < 2 {
			t.Errorf("verify: %+v %v", res, err)
		}
	})
}
