package notify

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"schoolgate/internal/config"
)

// policyHead is the part of every test policy before alerts: a school in
// London (GMT in winter) with three groups.
const policyHead = `site: {id: greenfield-primary, timezone: Europe/London}
groups:
  ks1: {}
  ks2: {}
  staff: {}
`

// monday10 is Monday 30 November 2026, 10:00 in London.
var monday10 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func parsePolicy(t *testing.T, text string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	c, err := config.Parse("policy.yaml", filepath.Join(dir, "policy.yaml"), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeClock is the injected clock the tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// auditLog records what the dispatcher reports through Options.Audit.
type auditLog struct {
	mu      sync.Mutex
	entries []string // "action id recipient"
}

func (a *auditLog) hook(_ context.Context, action string, id int64, recipient string) {
	a.mu.Lock()
	a.entries = append(a.entries, fmt.Sprintf("%s %d %s", action, id, recipient))
	a.mu.Unlock()
}

// wait returns the entries, sorted, once there are n of them.
func (a *auditLog) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.mu.Lock()
		got := slices.Clone(a.entries)
		a.mu.Unlock()
		if len(got) >= n {
			slices.Sort(got)
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit has %d entries after 10s, want %d: %q", len(got), n, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newDispatcher(t *testing.T, c *config.Config, opts Options) *Dispatcher {
	t.Helper()
	d, err := New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// counter is a counter's value.
func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
