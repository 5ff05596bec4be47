package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writePolicy(t *testing.T, yaml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const issuePolicy = `site: {name: Example Primary School, timezone: Europe/London}
categories:
  gambling:
    sources: [{path: lists/gambling.txt, format: domains}]
  social-media:
    sources: [{path: lists/social.txt, format: domains}]
  illegal:
    illegal: true
    sources: [{path: lists/iwf.txt, format: domains}]
groups:
  staff:      {networks: [10.10.0.0/16]}
  pupils-ks2: {networks: [10.20.0.0/16]}
  visitors:   {networks: [10.99.0.0/16], safesearch: strict}
default_group: visitors
rules:
  gambling:     {others: block}
  social-media: {pupils-ks2: permission, others: allow}
default: allow
`

var issueLists = map[string]string{
	"lists/gambling.txt": "bet365.com\n",
	"lists/social.txt":   "facebook.com\n",
	"lists/iwf.txt":      "secret.example\n",
}

// TestCheckContract: the exact line the policy-engine issue gives as the
// contract of `check`.
func TestCheckContract(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	code, out, errs := run(t, "", "check", "-c", p, "--group", "pupils-ks2", "https://www.bet365.com/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want := `{"target":"https://www.bet365.com/","host":"www.bet365.com","groups":["pupils-ks2"],"verdict":"block","categories":["gambling"],"illegal":false,"match":"bet365.com","rule":"rules.gambling.others","reason":"Gambling is not allowed for pupils-ks2"}` + "\n"
	if out != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

func decodeLines(t *testing.T, out string) []checkResult {
	t.Helper()
	var rs []checkResult
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r checkResult
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}

func TestCheckVariants(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	// --client finds groups by network, else default_group.
	_, out, _ := run(t, "", "check", "-c", p, "--client", "10.20.1.1", "facebook.com", "secret.example", "bad..host")
	rs := decodeLines(t, out)
	if len(rs) != 3 {
		t.Fatalf("%d results: %s", len(rs), out)
	}
	if rs[0].Verdict != "block" || !rs[0].NeedsPermission || rs[0].Groups[0] != "pupils-ks2" {
		t.Errorf("permission cell: %+v", rs[0])
	}
	if !rs[1].Illegal || rs[1].Match != "illegal" || strings.Contains(out, `"match":"secret.example"`) {
		t.Errorf("illegal entry must be confidential: %+v", rs[1])
	}
	if rs[2].Verdict != "error" || rs[2].Error == "" {
		t.Errorf("bad target: %+v", rs[2])
	}
	_, out, _ = run(t, "", "check", "-c", p, "--client", "192.168.0.9", "facebook.com")
	if rs := decodeLines(t, out); rs[0].Groups[0] != "visitors" || rs[0].Verdict != "allow" {
		t.Errorf("default group: %+v", rs[0])
	}
	// Flags after targets work too.
	if code, out, _ := run(t, "", "check", "bet365.com", "-c", p, "--group", "staff"); code != 0 || !strings.Contains(out, `"verdict":"block"`) {
		t.Errorf("interspersed flags: %d %s", code, out)
	}
}

// TestCheckStdin streams many targets from stdin, keeping their order.
func TestCheckStdin(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	var in strings.Builder
	const n = 20000
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&in, "https://x%d.bet365.com/\n", i)
		} else {
			fmt.Fprintf(&in, "site%d.example\n", i)
		}
	}
	code, out, errs := run(t, in.String(), "check", "-c", p, "--group", "staff", "-")
	if code != 0 {
		t.Fatal(errs)
	}
	rs := decodeLines(t, out)
	if len(rs) != n {
		t.Fatalf("%d results, want %d", len(rs), n)
	}
	for i, r := range rs {
		want := "allow"
		if i%2 == 0 {
			want = "block"
		}
		if r.Verdict != want {
			t.Fatalf("line %d: %+v", i, r)
		}
	}
}

func TestCheckErrors(t *testing.T) {
	bad := writePolicy(t, issuePolicy+"rules2: {}\n", issueLists)
	code, _, errs := run(t, "", "check", "-c", bad, "x.example")
	if code != 2 || !strings.Contains(errs, "policy.yaml:19: rules2: unknown field") {
		t.Errorf("bad policy: exit %d, %q", code, errs)
	}
	p := writePolicy(t, issuePolicy, issueLists)
	if code, _, errs := run(t, "", "check", "-c", p, "--group", "nobody", "x"); code != 2 || !strings.Contains(errs, "unknown group") {
		t.Errorf("unknown group: %d %q", code, errs)
	}
	if code, _, _ := run(t, "", "check", "-c", p); code != 2 {
		t.Errorf("no target: exit %d", code)
	}
	// A bad --client is an error even where it only names the device.
	for _, args := range [][]string{{"--client", "10.0.0.300"}, {"--user", "amy", "--client", "nope"}} {
		if code, _, errs := run(t, "", append(append([]string{"check", "-c", p}, args...), "x.example")...); code != 2 || !strings.Contains(errs, "--client") {
			t.Errorf("check %v: %d %q", args, code, errs)
		}
	}
	if code, _, _ := run(t, "", "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}

// TestInitValidate: the starter policy validates and encodes the seeds'
// walled garden for KS1; init makes the data directory too.
func TestInitValidate(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SCHOOLGATE_DATA", "")
	dir := filepath.Join(t.TempDir(), "school")
	if code, _, errs := run(t, "", "init", dir); code != 0 {
		t.Fatal(errs)
	}
	if fi, err := os.Stat(defaultData); err != nil || !fi.IsDir() {
		t.Errorf("init made no %s: %v", defaultData, err)
	}
	if code, _, errs := run(t, "", "init", dir); code == 0 || !strings.Contains(errs, "already exists") {
		t.Errorf("init over an existing policy: %d %q", code, errs)
	}
	p := filepath.Join(dir, "schoolgate.yaml")
	// Offline, its url: categories are empty (and so is the school's own
	// illegal list until filled in): validate says so and fails...
	code, out, errs := run(t, "", "validate", "-c", p, "--data", t.TempDir())
	if code != 1 || strings.Contains(out, "OK:") || !strings.Contains(errs, "13 categories filter less than the policy says") {
		t.Fatalf("validate offline: %d\n%s\n%s", code, out, errs)
	}
	// The lines named are the starter's own: the category's key and its
	// source's.
	text, _ := os.ReadFile(p)
	lineOf := func(sub string, from int) int {
		for i, l := range strings.Split(string(text), "\n") {
			if i+1 > from && strings.Contains(l, sub) {
				return i + 1
			}
		}
		t.Fatalf("the starter has no %q", sub)
		return 0
	}
	cats := lineOf("categories:", 0)
	for strings.HasPrefix(strings.Split(string(text), "\n")[cats-1], "#") {
		cats = lineOf("categories:", cats)
	}
	adult, illegal, gambling := lineOf("  adult:", cats), lineOf("  illegal:", cats), lineOf("  gambling:", cats)
	for _, want := range []string{
		fmt.Sprintf("error: %s:%d: category adult: no entries: it filters nothing; https://raw.githubusercontent.com/olbat/ut1-blacklists/master/blacklists/adult/domains (line %d) has not been downloaded yet", p, adult, lineOf("blacklists/adult/domains", adult)),
		fmt.Sprintf("error: %s:%d: category illegal: no entries: it filters nothing; lists/illegal.txt (line %d) has 0 entries", p, illegal, lineOf("lists/illegal.txt", illegal)),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate offline lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "category video") || strings.Contains(out, "category education") {
		t.Errorf("local lists with entries reported:\n%s", out)
	}
	// ... unless the school accepts it.
	code, out, errs = run(t, "", "validate", "-c", p, "--data", t.TempDir(), "--allow-empty")
	if code != 0 || !strings.Contains(out, "OK:") || !strings.Contains(out, fmt.Sprintf("warning: %s:%d: category gambling: no entries", p, gambling)) ||
		!strings.Contains(out, "keywords: 8 lists, ") {
		t.Fatalf("validate --allow-empty: %d\n%s\n%s", code, out, errs)
	}
	_, out, _ = run(t, "", "check", "-c", p, "--data", t.TempDir(), "--client", "10.30.0.5", "example.com", "bbc.co.uk")
	rs := decodeLines(t, out)
	if rs[0].Verdict != "block" || rs[1].Verdict != "allow" {
		t.Errorf("KS1 walled garden: %+v", rs)
	}
}

// TestValidateReportsJunk: per-list counts and skipped lines with file and
// line number.
func TestValidateReportsJunk(t *testing.T) {
	p := writePolicy(t, issuePolicy, map[string]string{
		"lists/gambling.txt": "bet365.com\nnot a host\n\nok.example\n",
		"lists/social.txt":   "facebook.com\n",
		"lists/iwf.txt":      "secret.example\n",
	})
	code, out, errs := run(t, "", "validate", "-c", p)
	if code != 0 {
		t.Fatal(errs)
	}
	for _, want := range []string{"gambling      lists/gambling.txt  domains  2        1", "gambling.txt:2: not a single host name: \"not a host\""} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}

// TestListsUpdate downloads from a local server, keeps the last good copy
// when a download fails or does not parse, and the policy uses it.
func TestListsUpdate(t *testing.T) {
	var mode atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load() {
		case 0:
			fmt.Fprintln(w, "0.0.0.0 casino.example\n0.0.0.0 poker.example")
		case 1:
			http.Error(w, "gone", http.StatusBadGateway)
		case 2:
			fmt.Fprintln(w, "<html>this is not a hosts file</html>")
		case 3: // an empty list never replaces one
		}
	}))
	defer srv.Close()
	y := strings.Replace(issuePolicy, "sources: [{path: lists/gambling.txt, format: domains}]", "sources: [{url: \""+srv.URL+"/g.txt\", format: hosts}]", 1)
	p := writePolicy(t, y, issueLists)
	data := t.TempDir()
	// Never downloaded: loads empty, with a warning.
	_, out, _ := run(t, "", "check", "-c", p, "--data", data, "--group", "staff", "casino.example")
	if !strings.Contains(out, `"verdict":"allow"`) {
		t.Fatalf("before download: %s", out)
	}
	// A failure with no copy to keep says so, once.
	mode.Store(1)
	code, out, errs := run(t, "", "lists", "update", "-c", p, "--data", data)
	if code != 1 || !strings.Contains(out, "0 entries\tFAILED (no previous copy: category gambling has no entries from this source): HTTP 502") ||
		strings.Count(out+errs, "502") != 1 || strings.Contains(out, "kept") {
		t.Fatalf("first download failing: %d %q %q", code, out, errs)
	}
	mode.Store(0)
	code, out, errs = run(t, "", "lists", "update", "-c", p, "--data", data)
	if code != 0 || !strings.Contains(out, "2 entries\tupdated") || !strings.Contains(errs, "[1/1]") {
		t.Fatalf("update: %d %q %q", code, out, errs)
	}
	_, out, _ = run(t, "", "check", "-c", p, "--data", data, "--group", "staff", "poker.example")
	if !strings.Contains(out, `"verdict":"block"`) {
		t.Fatalf("after download: %s", out)
	}
	for _, m := range []int32{1, 2, 3} {
		mode.Store(m)
		code, out, errs = run(t, "", "lists", "update", "-c", p, "--data", data)
		if code != 1 || !strings.Contains(out, "2 entries\tFAILED (kept the last good copy, 2 entries): ") || strings.Contains(errs, "kept") {
			t.Fatalf("mode %d: %d %q %q", m, code, out, errs)
		}
		_, out, _ = run(t, "", "check", "-c", p, "--data", data, "--group", "staff", "poker.example")
		if !strings.Contains(out, `"verdict":"block"`) {
			t.Fatalf("mode %d: last good copy lost: %s", m, out)
		}
	}
	mode.Store(0)
	if _, out, _ := run(t, "", "lists", "update", "-c", p, "--data", data); !strings.Contains(out, "unchanged") {
		t.Errorf("same content: %q", out)
	}
	// With a database, who ran it and what it did is in the audit trail.
	if code, _, errs := run(t, "", "users", "add", "tech1", "-c", p, "--data", data, "--role", "technical", "--by", "admin"); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := run(t, "", "lists", "update", "-c", p, "--data", data, "--by", "it office"); code != 0 {
		t.Fatal(errs)
	}
	_, out, _ = run(t, "", "audit", "list", "-c", p, "--data", data)
	if !strings.Contains(out, "lists.update") || !strings.Contains(out, "it office") || !strings.Contains(out, "unchanged") {
		t.Errorf("lists update not audited:\n%s", out)
	}
}

// TestCheckUsesStore: with a database, check finds users in the identity
// store and applies live grants, as serve would.
func TestCheckUsesStore(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	data := t.TempDir()
	code, _, errs := run(t, "", "users", "add", "pupil7", "-c", p, "--data", data, "--role", "pupil", "--groups", "pupils-ks2", "--by", "admin")
	if code != 0 {
		t.Fatalf("users add: %s", errs)
	}
	_, out, errs := run(t, "", "check", "-c", p, "--data", data, "--user", "pupil7", "facebook.com")
	rs := decodeLines(t, out)
	if len(rs) != 1 || rs[0].Verdict != "block" || !rs[0].NeedsPermission || rs[0].Groups[0] != "pupils-ks2" {
		t.Fatalf("before grant: %s %s", out, errs)
	}
	if code, _, errs := run(t, "", "users", "add", "teacher1", "-c", p, "--data", data, "--role", "teacher", "--by", "admin"); code != 0 {
		t.Fatalf("users add teacher1: %s", errs)
	}
	code, _, errs = run(t, "", "grant", "-c", p, "--data", data, "--to", "pupil7", "--category", "social-media", "--for", "45m", "--by", "teacher1", "--reason", "class project")
	if code != 0 {
		t.Fatalf("grant: %s", errs)
	}
	_, out, _ = run(t, "", "check", "-c", p, "--data", data, "--user", "pupil7", "facebook.com")
	if rs := decodeLines(t, out); rs[0].Verdict != "allow" || !strings.HasPrefix(rs[0].Rule, "override:") {
		t.Fatalf("after grant: %s", out)
	}
	// Another pupil of the same group is not covered.
	run(t, "", "users", "add", "pupil8", "-c", p, "--data", data, "--groups", "pupils-ks2", "--by", "admin")
	_, out, _ = run(t, "", "check", "-c", p, "--data", data, "--user", "pupil8", "facebook.com")
	if rs := decodeLines(t, out); rs[0].Verdict != "block" {
		t.Fatalf("other pupil: %s", out)
	}
	if code, _, errs := run(t, "", "check", "-c", p, "--data", data, "--user", "nobody", "x.example"); code != 2 || !strings.Contains(errs, "neither in the user directory") {
		t.Fatalf("unknown user: %d %s", code, errs)
	}
}
