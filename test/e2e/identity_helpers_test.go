package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// identityStart runs serve with the proxy (basic auth), the console
// (plain HTTP on loopback) and the policy's identity section; env is
// added to serve's and the CLI's environment. It returns the instance
// and the console's URL.
func identityStart(t *testing.T, identity string, env ...string) (*proxyInstance, string) {
	t.Helper()
	in := identityInstance(t, identity, env...)
	return in, identityServe(t, in)
}

// identityInstance writes the policy and the lists without starting
// serve, for the CLI.
func identityInstance(t *testing.T, identity string, env ...string) *proxyInstance {
	t.Helper()
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", proxyPolicyBase+"  auth: basic\n  realm: E2E School\n  allow_destinations: [127.0.0.0/8]\n"+
		"console: {listen: 127.0.0.1:0, tls: off}\n"+identity)
	in.env = append(append(os.Environ(), "SCHOOLGATE_DATA="+in.data), env...)
	return in
}

// identityServe starts serve for an instance made by identityInstance and
// returns the console's URL.
func identityServe(t *testing.T, in *proxyInstance) string {
	t.Helper()
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe, consoleListenRe)
	in.proxy, in.page = addrs[0], addrs[1]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	return addrs[2]
}
