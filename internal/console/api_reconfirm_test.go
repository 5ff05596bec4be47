package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// TestAPIApproveLongNeedsCode: approving for more than a day by API needs
// a fresh TOTP code of the token's person (422 naming code without one or
// with a wrong or reused one); the attempts are audited as the console's
// reconfirm. Both databases.
func TestAPIApproveLongNeedsCode(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		secret := identity.NewTOTPSecret()
		if err := f.st.EnrolConsoleTOTP(ctx, store.Actor{Name: "r-dsl"}, "r-dsl", secret, 0, nil); err != nil {
			t.Fatal(err)
		}
		dsl := f.token("r-dsl")
		path := fmt.Sprintf("/api/v1/requests/%d/approve", f.request.ID)
		field := func(st int, out string) string {
			var e apiErr
			if st != http.StatusUnprocessableEntity || json.Unmarshal([]byte(out), &e) != nil {
				return fmt.Sprintf("%d %s", st, out)
			}
			return e.Field
		}
		if got := field(f.api("POST", path, dsl, `{"for":"7d","scope":"user","reason":"project"}`)); got != "code" {
			t.Errorf("no code: %s, want 422 naming code", got)
		}
		if got := field(f.api("POST", path, dsl, `{"for":"7d","scope":"user","reason":"project","code":"000000x"}`)); got != "code" {
			t.Errorf("a wrong code: %s, want 422 naming code", got)
		}
		if !f.audited("console.reconfirm.fail", "user:r-dsl") {
			t.Error("the failed code is not audited")
		}
		if r, _ := f.st.GetRequest(ctx, store.AllSites, f.request.ID); r.Status != store.StatusPending {
			t.Fatalf("approved without a code: %s", r.Status)
		}
		code, _ := identity.TOTPCodeAt(secret, f.clk.Now())
		st, out := f.api("POST", path, dsl, `{"for":"7d","scope":"user","reason":"project","code":"`+code+`"}`)
		if st != http.StatusOK {
			t.Fatalf("with a fresh code: %d %s", st, out)
		}
		if !f.audited("console.reconfirm", "user:r-dsl") {
			t.Error("the code is not audited")
		}
		if r, _ := f.st.GetRequest(ctx, store.AllSites, f.request.ID); r.Status != store.StatusApproved {
			t.Errorf("not approved: %s", r.Status)
		}
		// The same code again is refused (each step is good once), before
		// the request is looked at.
		if got := field(f.api("POST", path, dsl, `{"for":"7d","scope":"user","reason":"again","code":"`+code+`"}`)); got != "code" {
			t.Errorf("a reused code: %s, want 422 naming code", got)
		}
	})
}
