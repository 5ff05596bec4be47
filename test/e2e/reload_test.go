package e2e

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReloadRefusesTruncatedPolicy: an editor saving the policy leaves it
// empty for a moment, then half written. Under a steady load of pupil
// queries, bet.test stays blocked throughout: the empty file never
// validates, and the half file (which loses dns.upstreams and the rules)
// is refused by the watcher, which says so. `schoolgate reload` without
// --force is refused the same way; with --force a valid smaller policy
// applies.
func TestReloadRefusesTruncatedPolicy(t *testing.T) {
	in := dnsStart(t, monday10, "", nil)
	full, err := os.ReadFile(in.policyAt)
	if err != nil {
		t.Fatal(err)
	}
	var allowed, total atomic.Int64
	var firstAllowed atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, err := in.digRun("127.0.0.2", "+time=2", "+tries=1", "+short", "bet.test")
			total.Add(1)
			if err == nil && strings.TrimSpace(out) != "127.0.0.1" {
				allowed.Add(1)
				firstAllowed.CompareAndSwap(nil, out)
			}
		}
	}()

	// 1. Truncated to 0 bytes, long enough to settle.
	if err := os.Truncate(in.policyAt, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the empty policy refused", func() bool {
		return strings.Contains(in.logText(), "the policy file is empty")
	})
	// 2. Half written: the first half of the lines (categories, groups;
	// no rules, no dns.upstreams).
	lines := strings.SplitAfter(string(full), "\n")
	half := strings.Join(lines[:len(lines)/2], "")
	if !strings.Contains(half, "categories:") || strings.Contains(half, "upstreams") {
		t.Fatalf("the half policy is not the cut the test means:\n%s", half)
	}
	dnsWrite(t, in.dir, "policy.yaml", half)
	waitFor(t, 10*time.Second, "the half policy refused", func() bool {
		return strings.Contains(in.logText(), "policy reload refused")
	})
	// 3. A byte-exact half (cut mid-line) is refused too, one way or another.
	dnsWrite(t, in.dir, "policy.yaml", string(full[:len(full)/2]))
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if n := allowed.Load(); n > 0 {
		t.Errorf("bet.test answered unblocked %d of %d times while the policy was truncated; first: %v\n%s", n, total.Load(), firstAllowed.Load(), in.logText())
	}
	if total.Load() < 10 {
		t.Errorf("only %d queries under load", total.Load())
	}
	if strings.Contains(in.logText(), "policy reloaded") {
		t.Errorf("a truncated policy was applied:\n%s", in.logText())
	}
	body := fetchMetrics(t, in.admin)
	for _, reason := range []string{"invalid", "shrinks"} {
		if v, ok := metricValue(body, `schoolgate_reload_refused_total{reason="`+reason+`"}`); !ok || v < 1 {
			t.Errorf("schoolgate_reload_refused_total{reason=%q} = %v, %v", reason, v, ok)
		}
	}

	// 4. A valid, smaller policy on purpose: gambling's list no longer
	// has bet.test, and the shopping category is gone. The watcher (and
	// a plain `reload`) refuse it; `reload --force` applies it.
	dnsWrite(t, in.dir, "small.txt", "gambling.test\n")
	small := strings.Replace(string(full), "[{path: gambling.txt, format: domains}]", "[{path: small.txt, format: domains}]", 1)
	small = strings.Replace(small, "  shopping:\n    sources: [{path: shopping.txt, format: domains}]\n", "", 1)
	small = strings.Replace(small, "  shopping: {pupils: allow during lunch, others: allow}\n", "", 1)
	if small == string(full) || strings.Contains(small, "shopping") {
		t.Fatalf("the smaller policy did not change as meant:\n%s", small)
	}
	dnsWrite(t, in.dir, "policy.yaml", small)
	waitFor(t, 10*time.Second, "the smaller policy refused by the watcher", func() bool {
		return strings.Contains(in.logText(), "removes the categories shopping")
	})
	reload := func(args ...string) (string, error) {
		all := append([]string{"reload", "--admin", in.admin, "-c", in.policyAt}, args...)
		out, err := exec.Command(dnsBinary(t), all...).CombinedOutput()
		return string(out), err
	}
	if out, err := reload(); err == nil || !strings.Contains(out, "409 Conflict") || !strings.Contains(out, "removes the categories shopping") {
		t.Errorf("reload without --force: %v\n%s", err, out)
	}
	if out := in.dig(t, "127.0.0.2", "+short", "bet.test"); strings.TrimSpace(out) != "127.0.0.1" {
		t.Fatalf("bet.test before the forced reload: %q", out)
	}
	out, err := reload("--force")
	if err != nil || !strings.Contains(out, "reloaded ") {
		t.Fatalf("reload --force: %v\n%s", err, out)
	}
	if out := in.dig(t, "127.0.0.2", "+short", "bet.test"); strings.TrimSpace(out) == "127.0.0.1" {
		t.Errorf("bet.test still blocked after reload --force of a policy without it: %q", out)
	}
	if out := in.dig(t, "127.0.0.2", "+short", "gambling.test"); strings.TrimSpace(out) != "127.0.0.1" {
		t.Errorf("gambling.test after reload --force: %q, want the block page address", out)
	}
	// An empty file never validates, not even forced.
	if err := os.Truncate(in.policyAt, 0); err != nil {
		t.Fatal(err)
	}
	if out, err := reload("--force"); err == nil || !strings.Contains(out, "the policy file is empty") {
		t.Errorf("reload --force of an empty file: %v\n%s", err, out)
	}
	if out := in.dig(t, "127.0.0.2", "+short", "gambling.test"); strings.TrimSpace(out) != "127.0.0.1" {
		t.Errorf("gambling.test after a forced reload of an empty file: %q", out)
	}
}
