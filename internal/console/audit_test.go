package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"schoolgate/internal/store"
)

// TestAuditPage: the trail filtered by actor, action and object, the
// head hash, verification (OK, and a head that is not in the chain), a
// bad date named, markup escaped, and the view itself recorded.
func TestAuditPage(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		if err := f.st.Audit(ctx, store.Actor{Name: "office"}, "test.mark", "user:ada", nil, map[string]any{"note": "<img src=x onerror=alert(1)>"}); err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("r-dsl", "")
		_, head, err := f.st.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st, _, body := b.do("GET", "/audit?"+url.Values{"object": {"user:ada"}, "action": {"test.mark"}}.Encode(), nil)
		if st != http.StatusOK || strings.Count(body, "<td>test.mark</td>") != 1 || !strings.Contains(body, head) {
			t.Fatalf("filtered: %d\n%s", st, body)
		}
		if strings.Contains(body, "<img src=x") || strings.Contains(body, "<td>console.signin</td>") {
			t.Errorf("filter or escaping failed")
		}
		_, _, body = b.do("GET", "/audit?actor=r-dsl", nil)
		if !strings.Contains(body, "<td>console.signin</td>") || strings.Contains(body, "<td>test.mark</td>") {
			t.Errorf("actor filter")
		}
		_, _, body = b.do("GET", "/audit?verify=1", nil)
		if !strings.Contains(body, `id="verify-result">OK:`) {
			t.Errorf("verify: %s", body)
		}
		_, _, body = b.do("GET", "/audit?verify=1&head="+strings.Repeat("ab", 32), nil)
		if !strings.Contains(body, "is not in the chain") {
			t.Errorf("verify with a foreign head")
		}
		if st, _, body := b.do("GET", "/audit?from=yesterday", nil); st != http.StatusUnprocessableEntity || !strings.Contains(body, "from/to:") {
			t.Errorf("bad date: %d", st)
		}
		recs, err := f.st.ListAudit(ctx, store.AuditFilter{Actor: "r-dsl", Action: "console.audit.view"})
		if err != nil || len(recs) < 4 || recs[0].Roles != "dsl" {
			t.Errorf("audit views recorded: %d %v", len(recs), err)
		}
	})
}
