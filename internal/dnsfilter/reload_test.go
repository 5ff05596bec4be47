package dnsfilter

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/dnsfilter/dnstest"
)

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

// TestReloadClosesOldPool: a reload that changes the upstreams closes
// the old upstreams' sockets once queries begun on them are done (after
// dns.timeout), and queries go to the new upstream meanwhile.
func TestReloadClosesOldPool(t *testing.T) {
	e := startTest(t, nil)
	if r := e.query(t, "127.0.0.3", "before.test", dns.TypeA); firstAddr(r) != dnstest.AddrFor("before.test") {
		t.Fatalf("before the reload: %v", r)
	}
	old := e.srv.view.Load().up.list[0].udp
	up2, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	defer up2.Close()
	writeFile(t, e.dir, "policy.yaml", onlyUpstream(readFile(t, e.dir, "policy.yaml"), up2.Addr()))
	if _, err := e.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if r := e.query(t, "127.0.0.3", "after.test", dns.TypeA); firstAddr(r) != dnstest.AddrFor("after.test") || up2.Queries() != 1 {
		t.Fatalf("after the reload: %v (new upstream asked %d times)", r, up2.Queries())
	}
	closed := func() bool { old.mu.Lock(); defer old.mu.Unlock(); return old.closed }
	if closed() {
		t.Error("old sockets closed at once: queries begun on them would fail")
	}
	deadline := time.Now().Add(5 * time.Second) // dns.timeout is 1 s
	for !closed() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !closed() {
		t.Error("old upstream sockets still open 5 s after the reload")
	}
}
