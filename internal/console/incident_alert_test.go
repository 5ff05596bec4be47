package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"schoolgate/internal/safeguarding"
)

// TestIncidentFromAlert: ?alert=ID is kept through the form; without an
// alerts engine (Options.Alerts) linking one is refused, saying so,
// rather than recording the incident without it; with one, the alert it
// returns is copied into the record.
func TestIncidentFromAlert(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	dsl := f.browser()
	dsl.signIn("r-dsl", "")
	form := url.Values{"occurred_at": {"2026-03-09T09:40"}, "category": {"grooming"}, "summary": {"An adult asked Ada to meet"}, "people": {"ada"}, "alert": {"42"}}
	if st, _, body := dsl.do("GET", "/incidents/new?alert=42", nil); st != http.StatusUnprocessableEntity || !strings.Contains(body, `name="alert" value="42"`) {
		t.Errorf("form without an alerts engine: %d", st)
	}
	if st, _, _ := dsl.post("/incidents", form); st != http.StatusUnprocessableEntity {
		t.Errorf("recorded without its alert: %d", st)
	}
	f.c.alert = func(ctx context.Context, a safeguarding.Actor, id string) (any, error) {
		if id != "42" || a.Username != "r-dsl" {
			return nil, errors.New("unexpected alert lookup")
		}
		return map[string]string{"rule": "grooming-phrases", "matched": "meet me"}, nil
	}
	st, loc, body := dsl.post("/incidents", form)
	if st != http.StatusSeeOther {
		t.Fatalf("record with an alert: %d %s", st, body)
	}
	_, _, body = dsl.do("GET", strings.TrimSuffix(loc, "?done=recorded"), nil)
	if !strings.Contains(body, "grooming-phrases") || !strings.Contains(body, "meet me") {
		t.Errorf("the alert is not in the record:\n%s", body)
	}
}
