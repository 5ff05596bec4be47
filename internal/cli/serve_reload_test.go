package cli

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"schoolgate/internal/policy"
)

// TestReloadEndpoint: POST /reload on the admin listener is refused from
// other than loopback and from a cross-site page; from loopback it is
// checked like the watcher's (409 for a policy that drops a category)
// unless forced; an empty policy is refused (422) even forced; every
// refusal is counted.
func TestReloadEndpoint(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	e, err := policy.NewEngine(p, policy.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	d := &serveDeps{configPath: p, engine: e, log: slog.New(slog.DiscardHandler), registry: prometheus.NewRegistry()}
	r, err := newReloads(d)
	if err != nil {
		t.Fatal(err)
	}
	h := r.handler()
	post := func(from, query string, hdr map[string]string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/reload"+query, nil)
		req.RemoteAddr = from
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code, w.Body.String()
	}
	smaller := strings.Replace(issuePolicy, "  social-media:\n    sources: [{path: lists/social.txt, format: domains}]\n", "", 1)
	smaller = strings.Replace(smaller, "  social-media: {pupils-ks2: permission, others: allow}\n", "", 1)
	if err := os.WriteFile(p, []byte(smaller), 0o644); err != nil {
		t.Fatal(err)
	}
	before := e.Snapshot()
	if code, body := post("10.20.0.5:4000", "?force=1", nil); code != http.StatusForbidden || !strings.Contains(body, "loopback") {
		t.Errorf("from a pupil's address: %d %s", code, body)
	}
	if code, _ := post("127.0.0.1:4000", "?force=1", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}); code != http.StatusForbidden {
		t.Errorf("a cross-site form: %d", code)
	}
	if code, body := post("127.0.0.1:4000", "", nil); code != http.StatusConflict || !strings.Contains(body, "removes the categories social-media") {
		t.Errorf("unforced smaller policy: %d %s", code, body)
	}
	if e.Snapshot() != before {
		t.Fatal("a refused reload replaced the policy")
	}
	if code, body := post("[::1]:4000", "?force=1", nil); code != http.StatusOK || !strings.Contains(body, "reloaded ") {
		t.Errorf("forced: %d %s", code, body)
	}
	if _, ok := e.Snapshot().CategoryIndex("social-media"); ok {
		t.Error("the forced reload was not applied")
	}
	if err := os.WriteFile(p, []byte("# emptied by an editor\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := post("127.0.0.1:4000", "?force=1", nil); code != http.StatusUnprocessableEntity || !strings.Contains(body, "empty") {
		t.Errorf("forced empty policy: %d %s", code, body)
	}
	if _, ok := e.Snapshot().CategoryIndex("gambling"); !ok {
		t.Error("an empty policy replaced the running one")
	}
	if v := counterValue(t, r.refused.WithLabelValues("shrinks")); v != 1 {
		t.Errorf("refused shrinks = %v", v)
	}
	if v := counterValue(t, r.refused.WithLabelValues("invalid")); v != 1 {
		t.Errorf("refused invalid = %v", v)
	}
	// validate calls an empty file what it is.
	if code, _, errs := run(t, "", "validate", "-c", p); code != 2 || !strings.Contains(errs, "the policy file is empty") {
		t.Errorf("validate of an empty file: %d %s", code, errs)
	}
}

func TestDialable(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9153": "127.0.0.1:9153", ":9153": "127.0.0.1:9153", "0.0.0.0:9153": "127.0.0.1:9153",
		"[::]:9153": "[::1]:9153", "10.0.0.1:9153": "10.0.0.1:9153", "127.0.0.1:0": "", "nonsense": "",
	} {
		got, err := dialable(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("dialable(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestWatchWaitsForTheFileToSettle: a policy file rewritten every 100 ms
// (an editor, a slow copy) is not reloaded while it keeps changing, even
// though each version is valid and passes the check; once it has stayed
// the same for the settle interval it is reloaded, once.
func TestWatchWaitsForTheFileToSettle(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	e, err := policy.NewEngine(p, policy.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	d := &serveDeps{configPath: p, engine: e, log: slog.New(slog.DiscardHandler), registry: prometheus.NewRegistry()}
	r, err := newReloads(d)
	if err != nil {
		t.Fatal(err)
	}
	r.poll, r.settle = 50*time.Millisecond, time.Second
	var reloads atomic.Int32
	e.OnReload(func(*policy.Snapshot) { reloads.Add(1) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.watch(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	start := time.Now()
	for i := 0; time.Since(start) < 2*time.Second; i++ {
		body := issuePolicy + strings.Repeat("# edit\n", i%5+1)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := reloads.Load(); n != 0 {
		t.Fatalf("reloaded %d times while the file was still changing", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for reloads.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := reloads.Load(); n != 1 {
		t.Fatalf("%d reloads once the file settled, want 1", n)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := reloads.Load(); n != 1 {
		t.Errorf("%d reloads of an unchanged file, want 1", n)
	}
}
