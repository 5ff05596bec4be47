package dnsfilter

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer is a bytes.Buffer safe for a logger used from several
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReloadQuiet reloads an unchanged policy: no warning about settings
// that only change at a restart (the cache's size is not a multiple of
// its shards).
func TestReloadQuiet(t *testing.T) {
	e := startTest(t, nil)
	logs := e.logs
	if _, err := e.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); strings.Contains(out, "WARN") || strings.Contains(out, "ERROR") {
		t.Errorf("reload of an unchanged policy logged:\n%s", out)
	}
	writeFile(t, e.dir, "policy.yaml", strings.Replace(readFile(t, e.dir, "policy.yaml"), "cache_size: 1000", "cache_size: 2000", 1))
	if _, err := e.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); !strings.Contains(out, "dns.cache_size changed") {
		t.Errorf("a new cache size was not reported:\n%s", out)
	}
}
