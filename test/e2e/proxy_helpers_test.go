package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/ca"
)

// The proxy end-to-end tests run the real binary (built once, shared with
// the DNS tests through dnsBinary) against local HTTP and HTTPS origins
// started here, with curl and headless Chromium as the clients. Site names
// (*.test) reach the origins through the policy's proxy.hosts.

// proxyPolicyBase is the policy the proxy tests start from. 127.0.0.3 is
// staff; 127.0.0.1, .2 and .4 are pupils.
const proxyPolicyBase = `
site: {name: E2E Primary School, timezone: Europe/London}
categories:
  illegal: {title: Illegal content, illegal: true, sources: [{path: illegal.txt, format: domains}]}
  gambling: {title: Gambling, sources: [{path: gambling.txt, format: domains}]}
  games: {title: On-line games, sources: [{path: games.txt, format: domains}]}
  social: {title: Social media, sources: [{path: social.txt, format: domains}]}
  banking: {title: Banking, no_inspect: true, sources: [{path: bank.txt, format: domains}]}
groups:
  staff: {networks: [127.0.0.3/32]}
  pupils: {networks: [127.0.0.1/32, 127.0.0.2/32, 127.0.0.4/32], safesearch: strict}
default_group: pupils
rules:
  illegal: {others: block}
  gambling: {others: block}
  games: {pupils: warn, others: allow}
  social: {pupils: permission, others: allow}
default: allow
dns: {listen: []}
admin: {listen: 127.0.0.1:0}
blockpage: {listen: 127.0.0.1:0}
proxy:
  listen: 127.0.0.1:0
  hosts: {ok.test: 127.0.0.1, bet.test: 127.0.0.1, game.test: 127.0.0.1, social.test: 127.0.0.1, bank.test: 127.0.0.1, bad.test: 127.0.0.1, www.google.com: 127.0.0.1}
`

var proxyLists = map[string]string{
	"illegal.txt": "bad.test\n", "gambling.txt": "bet.test\n", "games.txt": "game.test\n",
	"social.txt": "social.test\n", "bank.txt": "bank.test\n",
}

var (
	proxyListenRe = regexp.MustCompile(`msg="proxy listening" addr=(\S+)`)
	proxyPageRe   = regexp.MustCompile(`msg="block page listening" addr=(\S+)`)
	proxyAdminRe  = regexp.MustCompile(`msg="admin listening" addr=(\S+)`)
)

// proxyInstance is one running `schoolgate serve` with the proxy on.
type proxyInstance struct {
	serveProcess
	bin   string
	dir   string
	data  string
	proxy string // host:port
	page  string // block page host:port
	admin string // admin (metrics) host:port
	env   []string
}

// proxyStart writes the policy (proxyYAML appended under proxy:, with
// loopback in allow_destinations unless it names its own; extra appended
// at the end) and runs serve, with env added to its environment.
func proxyStart(t *testing.T, proxyYAML, extra string, env ...string) *proxyInstance {
	t.Helper()
	if !strings.Contains(proxyYAML, "allow_destinations:") {
		// The origins run on loopback, which the destination guard
		// refuses unless exempted.
		proxyYAML = "  allow_destinations: [127.0.0.0/8, \"::1/128\"]\n" + proxyYAML
	}
	return proxyStartPolicy(t, proxyPolicyBase+proxyYAML+extra, env...)
}

// proxyStartPolicy runs serve with the whole policy given.
func proxyStartPolicy(t *testing.T, policy string, env ...string) *proxyInstance {
	t.Helper()
	needTool(t, "curl", "curl")
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range proxyLists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", policy)
	in.env = append(append(os.Environ(), "SCHOOLGATE_DATA="+in.data), env...)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	addrs := in.start(t, cmd, proxyListenRe, proxyPageRe)
	in.proxy, in.page = addrs[0], addrs[1]
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(in.logText(), "schoolgate ready") {
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready:\n%s", in.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if m := proxyAdminRe.FindStringSubmatch(in.logText()); m != nil {
		in.admin = m[1]
	}
	return in
}

// cli runs a schoolgate command against the instance's policy and data,
// with stdin, and returns its stdout; it fails the test on a non-zero exit.
func (in *proxyInstance) cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := in.cliRun(stdin, args...)
	if err != nil {
		t.Fatalf("schoolgate %v: %v\n%s%s", args, err, out, errOut)
	}
	return out
}

func (in *proxyInstance) cliRun(stdin string, args ...string) (string, string, error) {
	all := append(append([]string{}, args...), "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd := exec.Command(in.bin, all...)
	cmd.Env = in.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// proxyCurl runs curl through the proxy from source address from and
// returns the HTTP status, the body and curl's exit error.
func (in *proxyInstance) curl(t *testing.T, from string, args ...string) (int, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	all := append([]string{"-sS", "--max-time", "15", "-x", "http://" + in.proxy, "-w", "\n%{http_code}", "--interface", from}, args...)
	cmd := exec.CommandContext(ctx, "curl", all...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	s := out.String()
	i := strings.LastIndexByte(s, '\n')
	var code int
	if i >= 0 {
		fmt.Sscanf(s[i+1:], "%d", &code)
		s = s[:i]
	}
	if err != nil {
		err = fmt.Errorf("%w: %s", err, errOut.String())
	}
	return code, s, err
}

// proxyOrigins are the local sites: plain HTTP, and HTTPS with a
// certificate for every *.test name from a CA the proxy trusts via
// SSL_CERT_FILE.
type proxyOrigins struct {
	http, https string // ports
	caFile      string // the origins' CA, PEM
}

func proxyStartOrigins(t *testing.T) *proxyOrigins {
	t.Helper()
	h := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ws-page":
			io.WriteString(w, wsPage)
		case "/ws":
			wsEcho(w, r)
		case "/forge":
			forgePage(w, r)
		default:
			fmt.Fprintf(w, "origin says hello %s %s", r.Host, r.URL.RequestURI())
		}
	}
	hs := httptest.NewServer(http.HandlerFunc(h))
	t.Cleanup(hs.Close)
	// The origins' CA is one more school-style CA (internal/ca), distinct
	// from the one the proxy inspects with.
	caDir := filepath.Join(t.TempDir(), "origin-ca")
	auth, err := ca.LoadOrCreate(caDir, "E2E origin CA", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(h))
	ts.TLS = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if hello.ServerName == "" {
			return auth.Leaf("127.0.0.1")
		}
		return auth.Leaf(hello.ServerName)
	}}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	caFile := filepath.Join(caDir, ca.CertFile)
	return &proxyOrigins{http: proxyPort(hs.URL), https: proxyPort(ts.URL), caFile: caFile}
}

func proxyPort(u string) string {
	x, _ := url.Parse(u)
	return x.Port()
}
