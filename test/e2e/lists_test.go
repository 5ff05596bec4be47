package e2e

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
)

// TestListDownloadAtStart: serve starts with a url: category never
// downloaded. It says so at ERROR level and on /metrics, answers DNS while
// the download is still hanging, and once the list arrives it reloads and
// blocks what the list names. validate then passes.
func TestListDownloadAtStart(t *testing.T) {
	release := make(chan struct{})
	var served atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // the list site is slow today
		served.Add(1)
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, "casino.test\nroulette.test\n")
	}))
	defer origin.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	url := origin.URL + "/gambling/domains"
	in := dnsStart(t, "", "", func(p string) string {
		return strings.Replace(p, "sources: [{path: gambling.txt, format: domains}]", `sources: [{url: "`+url+`", format: domains}]`, 1)
	})

	// Serve is answering while the download waits on the origin.
	if served.Load() != 0 {
		t.Fatal("the origin answered before it was released")
	}
	casino := dnstest.AddrFor("casino.test").String()
	if out := in.dig(t, "127.0.0.2", "+short", "casino.test"); strings.TrimSpace(out) != casino {
		t.Fatalf("before the download, pupil casino.test: %q, want the upstream's %s (the category is empty)", out, casino)
	}
	want := `level=ERROR msg="list category filters less than the policy says" component=lists category=gambling line=7 entries=0 problem="no entries: it filters nothing; ` + url + ` (line 8) has not been downloaded yet (schoolgate lists update)"`
	if !strings.Contains(in.logText(), want) {
		t.Errorf("start log lacks\n%s\n%s", want, in.logText())
	}
	m := fetchMetrics(t, in.admin)
	if v, ok := metricValue(m, `schoolgate_category_entries{category="gambling"}`); !ok || v != 0 {
		t.Errorf("gambling entries before: %v %v", v, ok)
	}
	if v, ok := metricValue(m, `schoolgate_category_entries{category="games"}`); !ok || v != 1 {
		t.Errorf("games entries: %v %v", v, ok)
	}
	if v, ok := metricValue(m, `schoolgate_list_age_seconds{category="gambling",source="`+url+`"}`); !ok || !math.IsInf(v, 1) {
		t.Errorf("age of a list never downloaded: %v %v", v, ok)
	}
	if _, ok := metricValue(m, `schoolgate_list_age_seconds{category="games",source="games.txt"}`); ok {
		t.Errorf("a local list has an age:\n%s", m)
	}

	close(release)
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := in.dig(t, "127.0.0.2", "+short", "casino.test")
		if strings.TrimSpace(out) == "127.0.0.1" {
			break // the block page
		}
		if time.Now().After(deadline) {
			t.Fatalf("casino.test never blocked after the download: %q\n%s", out, in.logText())
		}
		time.Sleep(100 * time.Millisecond)
	}
	log := in.logText()
	for _, want := range []string{`msg="list downloaded" component=lists category=gambling url=` + url + ` entries=2`, `msg="policy reloaded"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "list category filters less"); n != 1 {
		t.Errorf("%d problem lines, want only the one at start:\n%s", n, log)
	}
	m = fetchMetrics(t, in.admin)
	if v, ok := metricValue(m, `schoolgate_category_entries{category="gambling"}`); !ok || v != 2 {
		t.Errorf("gambling entries after: %v %v", v, ok)
	}
	if v, ok := metricValue(m, `schoolgate_list_age_seconds{category="gambling",source="`+url+`"}`); !ok || v < 0 || v > 60 {
		t.Errorf("age after the download: %v %v", v, ok)
	}

	// validate agrees: nothing empty, nothing stale.
	out, err := exec.Command(dnsBinary(t), "validate", "-c", in.policyAt, "--data", filepath.Join(in.dir, "data")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK:") || strings.Contains(string(out), "error:") {
		t.Errorf("validate after the download: %v\n%s", err, out)
	}
}

// TestValidateEmptyCategory: the real binary's validate exits 1 naming an
// empty category and its source line, and 0 with --allow-empty.
func TestValidateEmptyCategory(t *testing.T) {
	bin := dnsBinary(t)
	dir := t.TempDir()
	for name, body := range dnsLists {
		dnsWrite(t, dir, name, body)
	}
	dnsWrite(t, dir, "gambling.txt", "# nothing yet\n")
	dnsWrite(t, dir, "policy.yaml", strings.ReplaceAll(dnsPolicyBase, "UPSTREAM", `"127.0.0.1:53"`))
	p := filepath.Join(dir, "policy.yaml")
	cmd := exec.Command(bin, "validate", "-c", p, "--data", filepath.Join(dir, "data"))
	out, err := cmd.CombinedOutput()
	want := "error: " + p + ":7: category gambling: no entries: it filters nothing; gambling.txt (line 8) has 0 entries"
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), want) {
		t.Errorf("validate: exit %d, want 1 and %q:\n%s", code, want, out)
	}
	out, err = exec.Command(bin, "validate", "-c", p, "--data", filepath.Join(dir, "data"), "--allow-empty").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "warning: "+p+":7: category gambling: no entries") || !strings.Contains(string(out), "OK:") {
		t.Errorf("validate --allow-empty: %v\n%s", err, out)
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
