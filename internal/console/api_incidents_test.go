package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAPIIncidents: create (201 {"id"}), unknown fields and bad values
// 422 naming the field, categories never empty, one incident with people
// as usernames, its entries and evidence, actions; a teacher reads what
// they reported, technical nothing of others', a governor nothing at all.
// Both databases.
func TestAPIIncidents(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		teacher, tech, gov, dsl := f.token("r-teacher"), f.token("r-technical"), f.token("r-governor"), f.token("r-dsl")

		st, out := f.api("GET", "/api/v1/incidents/categories", teacher, "")
		var cats struct {
			Categories []struct{ Name, Title string } `json:"categories"`
		}
		if st != http.StatusOK || json.Unmarshal([]byte(out), &cats) != nil || len(cats.Categories) < 30 || cats.Categories[0].Title == "" {
			t.Fatalf("categories: %d %s", st, out)
		}

		good := `{"occurred_at":"2026-03-09T09:30:00Z","category":"bullying-messages","summary":"Group chat messages","people":["ada"]}`
		for body, field := range map[string]string{
			`{"occurred_at":"2026-03-09T09:30:00Z","category":"bullying-messages","summary":"x","colour":"red"}`:      "colour",
			`{"occurred_at":"yesterday","category":"bullying-messages","summary":"x"}`:                                "occurred_at",
			`{"occurred_at":"2027-03-09T09:30:00Z","category":"bullying-messages","summary":"x"}`:                     "occurred_at",
			`{"occurred_at":"2026-03-09T09:30:00Z","category":"nope","summary":"x"}`:                                  "category",
			`{"occurred_at":"2026-03-09T09:30:00Z","category":"bullying-messages","summary":" "}`:                     "summary",
			`{"occurred_at":"2026-03-09T09:30:00Z","category":"bullying-messages","summary":"x","people":["nobody"]}`: "people",
			`{"occurred_at":"2026-03-09T09:30:00Z","category":"bullying-messages","summary":"x","people":["a b"]}`:    "people",
			`{"occurred_at":"2026-03-09T09:30:00Z","category":"bullying-messages","summary":"x","people":"ada"}`:      "people",
		} {
			var e apiErr
			if st, out := f.api("POST", "/api/v1/incidents", teacher, body); st != http.StatusUnprocessableEntity || json.Unmarshal([]byte(out), &e) != nil || e.Field != field {
				t.Errorf("%s: %d %s, want 422 naming %s", body, st, out, field)
			}
		}
		st, out = f.api("POST", "/api/v1/incidents", teacher, good)
		var created struct {
			ID int64 `json:"id"`
		}
		if st != http.StatusCreated || json.Unmarshal([]byte(out), &created) != nil || created.ID == 0 {
			t.Fatalf("create: %d %s", st, out)
		}
		id := fmt.Sprint(created.ID)
		if st, out := f.api("POST", "/api/v1/incidents/"+id+"/actions", teacher, `{"action":"Spoke to the class"}`); st != http.StatusCreated || !strings.Contains(out, `"by": "r-teacher"`) {
			t.Errorf("action: %d %s", st, out)
		}
		if st, out := f.api("POST", "/api/v1/incidents/"+id+"/actions", teacher, `{"action":"x","extra":1}`); st != http.StatusUnprocessableEntity || !strings.Contains(out, `"field": "extra"`) {
			t.Errorf("action with an unknown field: %d %s", st, out)
		}
		// The teacher and the dsl read it; technical and the governor do not.
		for _, tok := range []string{teacher, dsl} {
			st, out := f.api("GET", "/api/v1/incidents/"+id, tok, "")
			var got struct {
				apiIncidentRow
				Entries  []apiIncidentEntry `json:"entries"`
				Original *apiIncidentRow    `json:"original"`
			}
			if st != http.StatusOK || json.Unmarshal([]byte(out), &got) != nil || len(got.People) != 1 || got.People[0] != "ada" ||
				got.Summary != "Group chat messages" || len(got.Entries) != 1 || got.Entries[0].Text != "Spoke to the class" || got.Original == nil {
				t.Errorf("get: %d %s", st, out)
			}
		}
		for _, tok := range []string{tech, gov} {
			if st, out := f.api("GET", "/api/v1/incidents/"+id, tok, ""); st != http.StatusForbidden || strings.Contains(out, "Group chat") {
				t.Errorf("another reads it: %d %s", st, out)
			}
			if st, out := f.api("POST", "/api/v1/incidents/"+id+"/actions", tok, `{"action":"x"}`); st != http.StatusForbidden {
				t.Errorf("another adds an action: %d %s", st, out)
			}
		}
		// Lists: the dsl's has both (the fixture's and this one), the
		// teacher's both (they reported both), technical's none.
		count := func(tok, q string) int {
			t.Helper()
			st, out := f.api("GET", "/api/v1/incidents"+q, tok, "")
			var l struct {
				Incidents []apiIncidentRow `json:"incidents"`
			}
			if st != http.StatusOK || json.Unmarshal([]byte(out), &l) != nil {
				t.Fatalf("list %s: %d %s", q, st, out)
			}
			return len(l.Incidents)
		}
		if n := count(dsl, ""); n != 2 {
			t.Errorf("dsl's list: %d", n)
		}
		if n := count(teacher, ""); n != 2 {
			t.Errorf("teacher's list: %d", n)
		}
		if n := count(tech, ""); n != 0 {
			t.Errorf("technical's list: %d", n)
		}
		if n := count(dsl, "?from=2026-03-09T09:00:00Z&to=2026-03-09"); n != 2 {
			t.Errorf("dsl's list by dates: %d", n)
		}
		if n := count(dsl, "?category=bullying-messages&status=open&person=ada"); n != 2 {
			t.Errorf("dsl's list by category: %d", n)
		}
		if st, out := f.api("GET", "/api/v1/incidents?status=lost", dsl, ""); st != http.StatusUnprocessableEntity || !strings.Contains(out, `"field": "status"`) {
			t.Errorf("bad filter: %d %s", st, out)
		}
		// A governor: 403 on every incident route, naming the capability.
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/v1/incidents", ""}, {"POST", "/api/v1/incidents", good}, {"GET", "/api/v1/incidents/categories", ""},
			{"GET", "/api/v1/incidents/" + id, ""}, {"POST", "/api/v1/incidents/" + id + "/actions", `{"action":"x"}`},
		} {
			if st, out := f.api(c.method, c.path, gov, c.body); st != http.StatusForbidden || !strings.Contains(out, "record-incident") || strings.Contains(out, "Group chat") {
				t.Errorf("governor %s %s: %d %s", c.method, c.path, st, out)
			}
		}
		if st, out := f.api("GET", "/api/v1/incidents/x1", dsl, ""); st != http.StatusNotFound || !strings.Contains(out, `"error"`) {
			t.Errorf("a bad number: %d %s", st, out)
		}
		if st, _ := f.api("GET", "/api/v1/incidents/99999", dsl, ""); st != http.StatusNotFound {
			t.Errorf("no such incident: %d", st)
		}
		// The categories route is not taken for an incident's number.
		if st, _ := f.api("GET", "/api/v1/incidents/categories", dsl, ""); st != http.StatusOK {
			t.Errorf("categories shadowed: %d", st)
		}
	})
}
