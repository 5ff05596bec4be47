package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// TestAdminPprof: Go's profiles are on the admin listener only with
// admin.pprof: true; /metrics is there either way.
func TestAdminPprof(t *testing.T) {
	engine, err := policy.NewEngine(writePolicy(t, issuePolicy, issueLists), policy.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{false, true} {
		d := &serveDeps{engine: engine, log: slog.New(slog.DiscardHandler), registry: prometheus.NewRegistry(), adminMux: http.NewServeMux(), ready: make(chan struct{})}
		svc, err := d.adminService(config.Admin{Listen: "127.0.0.1:0", Pprof: on})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		base := "http://" + svc.(*listenerService).ln.Addr().String()
		get := func(path string) int {
			c := &http.Client{Timeout: 5 * time.Second}
			resp, err := c.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		want := http.StatusNotFound
		if on {
			want = http.StatusOK
		}
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/trace?seconds=0"} {
			if got := get(p); got != want {
				t.Errorf("pprof %v: %s: %d, want %d", on, p, got, want)
			}
		}
		if got := get("/metrics"); got != http.StatusOK {
			t.Errorf("pprof %v: /metrics: %d", on, got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
