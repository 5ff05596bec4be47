package console

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFailLogNamesNoOne: a failed page or API call logs the route's
// pattern, never the path, which may name a person.
func TestFailLogNamesNoOne(t *testing.T) {
	f := newFixture(t, "sqlite")
	var buf bytes.Buffer
	f.c.log = slog.New(slog.NewTextHandler(&buf, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /people/{username}/chronology", func(w http.ResponseWriter, r *http.Request) {
		f.c.fail(w, r, nil, errors.New("boom"))
	})
	mux.HandleFunc("GET /api/v1/people/{username}", func(w http.ResponseWriter, r *http.Request) {
		f.c.apiFail(w, r, errors.New("boom"))
	})
	for path, pattern := range map[string]string{
		"/people/ada-lovelace/chronology": "GET /people/{username}/chronology",
		"/api/v1/people/ada-lovelace":     "GET /api/v1/people/{username}",
	} {
		buf.Reset()
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("%s: %d, want 500", path, rec.Code)
		}
		if got := buf.String(); strings.Contains(got, "ada-lovelace") || !strings.Contains(got, pattern) {
			t.Errorf("%s: the log names the person or lacks the route: %s", path, got)
		}
	}
}
