package selftest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

const testPolicy = `categories:
  illegal: {illegal: true, sources: [{path: illegal.txt, format: domains}]}
  gambling: {sources: [{path: gambling.txt, format: domains}]}
groups:
  staff: {networks: [10.10.0.0/16]}
  pupils: {networks: [10.20.0.0/16]}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {staff: allow, others: block}
default: allow
dns: {listen: ["0.0.0.0:5353"]}
proxy: {listen: "[::]:3128"}
selftest:
  probes:
    gambling: [bet.example.com]
    illegal: [probe.illegal.invalid]
`

func compile(t *testing.T, lists map[string]string) *policy.Snapshot {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"policy.yaml": testPolicy}
	for k, v := range lists {
		files[k] = v
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRunListenersDown: with nothing listening every probe is a
// mismatch ("no-answer"), never a pass; an emptied list is a mismatch
// whatever the answer; the policy's listen addresses are probed on
// loopback; --group limits the run.
func TestRunListenersDown(t *testing.T) {
	snap := compile(t, map[string]string{"illegal.txt": "probe.illegal.invalid\n", "gambling.txt": "\n"})
	if dns, proxy := Addresses(snap.Config()); dns != "127.0.0.1:5353" || proxy != "[::1]:3128" {
		t.Errorf("addresses %s %s", dns, proxy)
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	opt := Options{Snapshot: snap, Key: key, DNS: closedPort(t), Proxy: closedPort(t), Timeout: 300 * time.Millisecond}
	rep, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 8 || len(rep.Mismatches()) != 8 {
		t.Fatalf("%d results, %d mismatches:\n%s", len(rep.Results), len(rep.Mismatches()), rep.Table())
	}
	for _, r := range rep.Results {
		if r.OK || (r.Got != gotNoAnswer && r.Path == "proxy") {
			t.Errorf("%+v", r)
		}
		if r.Category == "gambling" && !strings.Contains(r.Mismatch(), "do not contain bet.example.com") {
			t.Errorf("the emptied list is not said: %s", r.Mismatch())
		}
	}
	m := rep.Measured()
	if len(m.Mismatches) != 8 || !strings.Contains(m.Tested, "8 probes for 2 groups") || !strings.Contains(m.Details, "group staff") {
		t.Errorf("measured %+v", m)
	}
	opt.Group = "staff"
	if rep, err = Run(context.Background(), opt); err != nil || len(rep.Groups()) != 1 {
		t.Errorf("--group staff: %v %v", rep.Groups(), err)
	}
	opt.Group = "nosuch"
	if _, err := Run(context.Background(), opt); !errors.Is(err, ErrNoGroup) {
		t.Errorf("unknown group: %v", err)
	}
	opt.Group, opt.DNS, opt.Proxy = "", "", ""
	if _, err := Run(context.Background(), opt); !errors.Is(err, ErrNoListener) {
		t.Errorf("nothing to probe: %v", err)
	}
}
