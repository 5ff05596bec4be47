// Package identity_test runs the same "who is this client, in which
// groups" cases through every entry point that asks it (the DNS resolver,
// the proxy without log-in, the proxy with basic log-in, and `schoolgate
// check`) and requires the same groups from each. The servers are the real
// ones on loopback sockets, over a real SQLite directory, sharing one
// identity.Resolver as serve does.
package identity_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/cli"
	"schoolgate/internal/config"
	"schoolgate/internal/dnsfilter"
	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/proxy"
	"schoolgate/internal/proxy/pages"
	"schoolgate/internal/store"
)

// Every group has a probe host that only its members may reach, so the set
// of probes a client reaches is the set of its groups.
var probeGroups = []string{"nominated", "staff", "pupils-ks2", "net-a", "net-b", "visitors"}

const policyTemplate = `
site: {name: Identity Test School, timezone: Europe/London}
categories:
%s
groups:
  nominated: {users: [nora, dan]}
  staff: {}
  pupils-ks2: {}
  net-a: {networks: [127.0.0.11/32, 127.0.0.13/32, 127.0.0.15/32, 127.0.0.16/32]}
  net-b: {networks: [127.0.0.12/32, 127.0.0.13/32]}
  visitors: {}
default_group: visitors
rules:
%s
default: allow
identity:
  year_groups: {"6": pupils-ks2}
dns:
  listen: ["127.0.0.1:0"]
  upstreams: ["%s"]
  block_response: nxdomain
proxy:
  listen: 127.0.0.1:0
  hosts: {%s}
`

type fixture struct {
	dir, data, policy string
	engine            *policy.Engine
	st                *store.Store
	sessions          *identity.Sessions
	dnsAddr           string
	open, basic       string // proxy addresses: no log-in, basic log-in
	origin            string // port
}

func writePolicy(t *testing.T, dir, upstream string) string {
	var cats, rules, hosts []string
	for _, g := range probeGroups {
		f := "probe-" + g + ".txt"
		if err := os.WriteFile(filepath.Join(dir, f), []byte(g+".probe.test\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cats = append(cats, fmt.Sprintf("  probe-%s: {sources: [{path: %s, format: domains}]}", g, f))
		rules = append(rules, fmt.Sprintf("  probe-%s: {%s: allow, others: block}", g, g))
		hosts = append(hosts, g+".probe.test: 127.0.0.1")
	}
	text := fmt.Sprintf(policyTemplate, strings.Join(cats, "\n"), strings.Join(rules, "\n"), upstream, strings.Join(hosts, ", "))
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func start(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	up, err := dnstest.Start("127.0.0.1:0", 60)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	f := &fixture{dir: t.TempDir()}
	f.data = filepath.Join(f.dir, "data")
	os.MkdirAll(f.data, 0o700)
	f.policy = writePolicy(t, f.dir, up.Addr())
	f.engine, err = policy.NewEngine(f.policy, policy.Options{DataDir: f.data})
	if err != nil {
		t.Fatal(err)
	}
	f.st, err = store.Open(ctx, store.Options{SQLitePath: filepath.Join(f.data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	dir, err := store.NewDirectory(f.st, store.DirectoryOptions{Mapping: func() config.Identity { return f.engine.Snapshot().Config().Identity }})
	if err != nil {
		t.Fatal(err)
	}
	f.sessions = identity.NewSessions(nil)
	res := identity.NewResolver(f.sessions, dir, nil)

	ds, err := dnsfilter.New(dnsfilter.Options{Engine: f.engine, Identity: res})
	if err != nil {
		t.Fatal(err)
	}
	go ds.Run(ctx)
	f.dnsAddr = ds.Addrs()[0].String()

	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "reached "+r.Host) }))
	t.Cleanup(origin.Close)
	u, _ := url.Parse(origin.URL)
	f.origin = u.Port()

	// Two proxies over the same engine and resolver: one places clients by
	// their session or address, the other asks them to log in.
	serveProxy := func(engine *policy.Engine) string {
		pg, err := pages.New(pages.Options{Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := proxy.New(proxy.Deps{Engine: engine, Identity: res, Directory: dir, Pages: pg})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		t.Cleanup(func() {
			sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
			defer c()
			srv.Shutdown(sctx)
		})
		return ln.Addr().String()
	}
	f.open = serveProxy(f.engine)
	basicPolicy := filepath.Join(f.dir, "basic.yaml")
	b, _ := os.ReadFile(f.policy)
	os.WriteFile(basicPolicy, append(b, "  auth: basic\n"...), 0o600)
	basicEngine, err := policy.NewEngine(basicPolicy, policy.Options{DataDir: f.data})
	if err != nil {
		t.Fatal(err)
	}
	f.basic = serveProxy(basicEngine)

	staff := store.Actor{Name: "test-setup"}
	hash, _ := identity.HashPassword("pw-"+"amy", identity.DefaultHashParams())
	for _, u := range []struct {
		user     identity.User
		password string
		disabled bool
	}{
		{identity.User{Username: "amy", YearGroup: "6"}, "pw-amy", false},
		{identity.User{Username: "sam", Groups: []string{"staff", "robotics-club"}}, "pw-sam", false},
		{identity.User{Username: "dan", Groups: []string{"staff"}}, "pw-dan", true},
		{identity.User{Username: "pip", Groups: []string{"house-red"}}, "pw-pip", false},
	} {
		h := hash
		if u.password != "pw-amy" {
			h, _ = identity.HashPassword(u.password, identity.DefaultHashParams())
		}
		if err := f.st.CreateUser(ctx, staff, u.user, h); err != nil {
			t.Fatal(err)
		}
		if u.disabled {
			if err := f.st.SetDisabled(ctx, staff, u.user.Username, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// dnsGroups: the probes whose names the resolver answers for a query from
// client.
func (f *fixture) dnsGroups(t *testing.T, client string) []string {
	t.Helper()
	c := &dns.Client{Timeout: 3 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(client)}}}
	var got []string
	for _, g := range probeGroups {
		m := new(dns.Msg)
		m.SetQuestion(g+".probe.test.", dns.TypeA)
		r, _, err := c.Exchange(m, f.dnsAddr)
		if err != nil {
			t.Fatalf("dns from %s: %v", client, err)
		}
		if r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			got = append(got, g)
		}
	}
	return got
}

// proxyGroups: the probes a request through proxy from client reaches;
// nil and the status when the proxy refused the client itself (407).
func (f *fixture) proxyGroups(t *testing.T, proxyAddr, client, user, password string) ([]string, int) {
	t.Helper()
	pu := &url.URL{Scheme: "http", Host: proxyAddr}
	if user != "" {
		pu.User = url.UserPassword(user, password)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(client)}}
	tr := &http.Transport{Proxy: http.ProxyURL(pu), DialContext: d.DialContext}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var got []string
	for _, g := range probeGroups {
		resp, err := c.Get("http://" + g + ".probe.test:" + f.origin + "/")
		if err != nil {
			t.Fatalf("proxy from %s: %v", client, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusProxyAuthRequired:
			return nil, resp.StatusCode
		case resp.StatusCode == 200 && strings.HasPrefix(string(body), "reached "):
			got = append(got, g)
		case resp.StatusCode != 403:
			t.Fatalf("proxy from %s for %s: %d %s", client, g, resp.StatusCode, body)
		}
	}
	return got, 200
}

// checkGroups: the groups `schoolgate check` reports.
func (f *fixture) checkGroups(user, client string) ([]string, error) {
	args := []string{"check", "-c", f.policy, "--data", f.data, "--client", client}
	if user != "" {
		args = append(args, "--user", user)
	}
	var out, errOut bytes.Buffer
	if code := cli.Main(context.Background(), append(args, "x.probe.test"), strings.NewReader(""), &out, &errOut); code != 0 {
		return nil, fmt.Errorf("check %v: exit %d: %s", args, code, errOut.String())
	}
	var r struct {
		Groups []string `json:"groups"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("check output %q: %v", out.String(), err)
	}
	return r.Groups, nil
}

func TestSameGroupsAtEveryEntryPoint(t *testing.T) {
	f := start(t)
	cases := []struct {
		name    string
		client  string // the device's address
		session string // a proxy log-in from that address (for DNS and the open proxy)
		expired bool   // the session has ended
		// the basic-auth proxy's log-in, and whether it succeeds
		password string
		canLogIn bool
		// check refuses a user it cannot find (a typo at the shell)
		checkRefuses bool
		want         []string
	}{
		{name: "pupil with a year group", client: "127.0.0.14", session: "amy", password: "pw-amy", canLogIn: true, want: []string{"pupils-ks2"}},
		{name: "staff with a group the policy does not know", client: "127.0.0.17", session: "sam", password: "pw-sam", canLogIn: true, want: []string{"staff"}},
		{name: "disabled user: placed by address", client: "127.0.0.11", session: "dan", password: "pw-dan", want: []string{"net-a"}},
		{name: "unknown user: placed by address", client: "127.0.0.12", session: "ghost", password: "x", checkRefuses: true, want: []string{"net-b"}},
		{name: "user named only in a policy users: list", client: "127.0.0.15", session: "nora", want: []string{"nominated"}},
		{name: "user in no policy group: placed by address", client: "127.0.0.16", session: "pip", password: "pw-pip", canLogIn: true, want: []string{"net-a"}},
		{name: "address in two groups' networks", client: "127.0.0.13", want: []string{"net-a", "net-b"}},
		{name: "no group at all: default_group", client: "127.0.0.19", want: []string{"visitors"}},
		{name: "expired log-in: placed by address", client: "127.0.0.11", session: "amy", expired: true, want: []string{"net-a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ip := netip.MustParseAddr(c.client)
			f.sessions.Delete(ip)
			if c.session != "" {
				ttl := time.Hour
				if c.expired {
					ttl = -time.Second
				}
				f.sessions.Set(ip, c.session, ttl)
			}
			checkUser := c.session
			if c.expired {
				checkUser = ""
			}
			got := map[string][]string{
				"dns":        f.dnsGroups(t, c.client),
				"open proxy": must(f.proxyGroups(t, f.open, c.client, "", "")),
			}
			if groups, err := f.checkGroups(checkUser, c.client); c.checkRefuses {
				if err == nil {
					t.Errorf("check --user %s: groups %v, want a refusal", checkUser, groups)
				}
			} else if err != nil {
				t.Error(err)
			} else {
				got["check"] = groups
			}
			if c.password != "" {
				groups, code := f.proxyGroups(t, f.basic, c.client, c.session, c.password)
				if c.canLogIn != (code == 200) {
					t.Errorf("basic log-in of %s: status %d", c.session, code)
				}
				if code == 200 {
					got["basic proxy"] = groups
				}
			}
			for point, g := range got {
				if !slices.Equal(g, c.want) {
					t.Errorf("%s: groups %v, want %v", point, g, c.want)
				}
			}
		})
	}
}

func must(g []string, code int) []string {
	if code != 200 {
		return []string{fmt.Sprintf("refused %d", code)}
	}
	return g
}
