package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"schoolgate/internal/store"
)

// TestPolicyCommands: push, history, diff and rollback against the real
// database, on SQLite and PostgreSQL; a bad file is refused with its line
// and nothing stored; every push and rollback is in the audit chain.
func TestPolicyCommands(t *testing.T) {
	cliBackends(t, func(t *testing.T, data string, open func() *store.Store) {
		lists := map[string]string{"lists/gambling.txt": "bet365.com\n", "lists/social.txt": "facebook.com\n", "lists/iwf.txt": "secret.example\n",
			"ut1/adult/domains": "adult.example\n", "ut1/adult/urls": "example.org/adult\n"}
		y := strings.Replace(issuePolicy, "categories:\n", "categories:\n  adult:\n    sources: [{path: ut1/adult, format: ut1}]\n", 1)
		p := writePolicy(t, y, lists)
		code, out, errs := run(t, "", "policy", "push", "-c", p, "--data", data, "--note", "first", "--by", "it lead")
		if code != 0 || out != "pushed version 1 (trust): 4 lists\n" {
			t.Fatalf("push: %d %q %q", code, out, errs)
		}
		if code, out, _ := run(t, "", "policy", "push", "-c", p, "--data", data); code != 0 || !strings.Contains(out, "unchanged: version 1") {
			t.Fatalf("same push again: %d %q", code, out)
		}
		// A file that does not validate is refused, naming the line.
		bad := writePolicy(t, strings.Replace(issuePolicy, "gambling:     {others: block}", "gambling:     {nobody: block}", 1), issueLists)
		if code, out, errs := run(t, "", "policy", "push", "-c", bad, "--data", data); code != 2 || out != "" || !strings.Contains(errs, "policy.yaml:16: rules.gambling.nobody") {
			t.Fatalf("bad push: %d %q %q", code, out, errs)
		}
		// A school's file needs the trust's first, and a valid site.
		if code, _, errs := run(t, "", "policy", "push", "-c", p, "--data", data, "--site", "School A"); code != 2 || !strings.Contains(errs, "--site") {
			t.Fatalf("bad site: %d %q", code, errs)
		}
		// The list changes and the file changes: version 2.
		os.WriteFile(filepath.Join(filepath.Dir(p), "ut1/adult/domains"), []byte("adult.example\nmore.example\n"), 0o644)
		os.WriteFile(p, []byte(strings.Replace(y, "social-media: {pupils-ks2: permission, others: allow}", "social-media: {pupils-ks2: block, others: allow}", 1)), 0o644)
		if code, out, errs := run(t, "", "policy", "push", "-c", p, "--data", data, "--note", "social media blocked for KS2"); code != 0 || !strings.Contains(out, "pushed version 2") {
			t.Fatalf("push 2: %d %q %q", code, out, errs)
		}
		code, out, errs = run(t, "", "policy", "diff", "1", "2", "--data", data)
		if code != 0 || !strings.Contains(out, "-  social-media: {pupils-ks2: permission, others: allow}\n+  social-media: {pupils-ks2: block, others: allow}\n") ||
			!strings.Contains(out, "list ut1/adult: changed") || strings.Contains(out, "lists/gambling.txt") {
			t.Fatalf("diff: %d %q %q", code, out, errs)
		}
		code, out, errs = run(t, "", "policy", "rollback", "1", "--data", data, "--by", "tech1")
		if code != 0 || out != "version 3 (trust) is a copy of version 1\n" {
			t.Fatalf("rollback: %d %q %q", code, out, errs)
		}
		if code, _, errs := run(t, "", "policy", "rollback", "99", "--data", data); code != 1 || !strings.Contains(errs, "not found") {
			t.Fatalf("rollback to nothing: %d %q", code, errs)
		}
		code, out, _ = run(t, "", "policy", "history", "--data", data)
		rows := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(rows) != 4 || !strings.HasPrefix(rows[1], "3 ") || !strings.Contains(rows[1], "tech1") || !strings.Contains(rows[1], "rollback to version 1") ||
			!strings.Contains(rows[3], "it lead") || !strings.Contains(rows[3], "first") {
			t.Fatalf("history: %d\n%s", code, out)
		}
		st := open()
		v3, err := st.PolicyVersionByID(context.Background(), 3)
		v1, _ := st.PolicyVersionByID(context.Background(), 1)
		if err != nil || v3.Content != v1.Content || !sameLists(v3.Lists, v1.Lists) {
			t.Fatalf("version 3 is not version 1: %v", err)
		}
		recs, err := st.ListAudit(context.Background(), store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		if got := strings.Join(actions, ","); got != "policy.push,policy.push,policy.rollback" {
			t.Fatalf("audit: %s", got)
		}
		if v, err := st.VerifyAudit(context.Background(), ""); err != nil || v.BadID != 0 {
			t.Fatalf("audit chain: %+v %v", v, err)
		}
	})
}

// TestListsUpdatePushed: lists update --pushed downloads the url: lists of
// the versions in the database and stores a new version only when one
// changed.
func TestListsUpdatePushed(t *testing.T) {
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body.Load().(string))
	}))
	defer srv.Close()
	cliBackends(t, func(t *testing.T, data string, open func() *store.Store) {
		body.Store("0.0.0.0 casino.example\n")
		y := strings.Replace(issuePolicy, "sources: [{path: lists/gambling.txt, format: domains}]", "sources: [{url: \""+srv.URL+"/g.txt\", format: hosts}]", 1)
		p := writePolicy(t, y, issueLists)
		// Nothing downloaded yet: the url: list is pushed without content.
		if code, out, errs := run(t, "", "policy", "push", "-c", p, "--data", data); code != 0 || !strings.Contains(out, "2 lists") {
			t.Fatalf("push: %d %q %q", code, out, errs)
		}
		code, out, errs := run(t, "", "lists", "update", "--pushed", "--data", data, "--by", "nightly")
		if code != 0 || !strings.Contains(out, "1 entries\tupdated") || !strings.Contains(out, "pushed version 2 (trust): 1 url: lists changed") {
			t.Fatalf("update: %d %q %q", code, out, errs)
		}
		if code, out, errs := run(t, "", "lists", "update", "--pushed", "--data", data); code != 0 || !strings.Contains(out, "version 2 (trust): lists unchanged") {
			t.Fatalf("update unchanged: %d %q %q", code, out, errs)
		}
		body.Store("0.0.0.0 casino.example\n0.0.0.0 poker.example\n")
		if code, out, errs := run(t, "", "lists", "update", "--pushed", "--data", data); code != 0 || !strings.Contains(out, "pushed version 3") {
			t.Fatalf("update changed: %d %q %q", code, out, errs)
		}
		st := open()
		v3, err := st.PolicyVersionByID(context.Background(), 3)
		if err != nil {
			t.Fatal(err)
		}
		var hash string
		for _, l := range v3.Lists {
			if strings.HasPrefix(l.Source, "http") {
				hash = l.Hash
			}
		}
		b, err := st.ListBlob(context.Background(), hash)
		if err != nil || !strings.Contains(string(b), "poker.example") {
			t.Fatalf("stored list: %q %v", b, err)
		}
		if v3.CreatedBy == "" || v3.Note != "lists update: 1 url: lists changed" {
			t.Fatalf("version 3: %+v", v3)
		}
		if code, _, errs := run(t, "", "lists", "update", "--pushed", "-c", p, "--data", data); code != 2 || !strings.Contains(errs, "no -c") {
			t.Fatalf("--pushed with -c: %d %q", code, errs)
		}
	})
}
