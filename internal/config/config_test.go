package config

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/starter"
)

// parse decodes policy text as the file "policy.yaml" in /school.
func parse(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return Parse("policy.yaml", "/school/policy.yaml", []byte(text))
}

// TestStrictErrors: every bad file is refused with an error that wraps
// ErrInvalid and names the file, the line and the dotted field.
func TestStrictErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unknown top-level key", "site: {name: X}\nrulez: {}\n",
			"policy.yaml:2: rulez: unknown field (known: site, categories, schedules, groups, default_group, rules, default, exceptions, lists, identity, dns, proxy, blockpage, admin, storage, retention, aua"},
		{"unknown nested key", "dns:\n  listen: [\"127.0.0.1:53\"]\n  upstream: [\"9.9.9.9\"]\n",
			"policy.yaml:3: dns.upstream: unknown field (known: listen, upstreams,"},
		{"unknown key in a list item", "categories:\n  gambling:\n    sources:\n      - {path: g.txt, format: domains, fromat: hosts}\n",
			"policy.yaml:4: categories.gambling.sources[0].fromat: unknown field (known: path, url, format)"},
		{"key given twice", "site: {name: X}\nsite: {name: Y}\n", "policy.yaml:2: site: given twice"},
		{"ordered key twice", "groups:\n  staff: {}\n  staff: {}\n", "policy.yaml:3: groups.staff: given twice (first on line 2)"},
		{"mapping expected", "site: [a, b]\n", "policy.yaml:1: site: expected a mapping, not a list"},
		{"list expected", "groups:\n  staff: {networks: {a: b}}\n", "policy.yaml:2: groups.staff.networks: expected a list"},
		{"bad duration", "retention:\n  activity: soon\n", `policy.yaml:2: retention.activity: bad duration "soon" (use e.g. 45m, 12h, 30d, 25y)`},
		{"negative duration", "proxy: {warn_for: -5m}\n", `policy.yaml:1: proxy.warn_for: bad duration "-5m"`},
		{"bad number", "dns: {cache_size: lots}\n", "policy.yaml:1: dns.cache_size: unmarshal errors:\n  line 1: cannot unmarshal !!str `lots` into int"},
		{"bad cell", "rules:\n  gambling: {staff: [allow]}\n", "policy.yaml:2: rules.gambling.staff: a cell is a single value"},
		{"bad block mode", "dns: {block_response: drop}\n", `policy.yaml:1: dns.block_response: unknown value "drop"`},
		{"bad blockpage address", "dns: {blockpage_ipv4: \"::1\"}\n", `policy.yaml: invalid policy: dns.blockpage_ipv4: "::1" is not an IPv4 address`},
		{"bad upstream", "dns: {upstreams: [\"quic://x\"]}\n", `dns.upstreams[0]: "quic://x": unknown scheme "quic"`},
		{"bad network", "proxy: {allow_networks: [10.0.0.0/33]}\n", `proxy.allow_networks[0]: "10.0.0.0/33" is not a network`},
		{"bad port", "proxy: {connect_ports: [0]}\n", "proxy.connect_ports[0]: 0 is not a TCP port"},
		{"YAML syntax", "site: {name: X\n", "policy.yaml: invalid policy: line 1:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.text)
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.text)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestLocatedError: a located error carries its parts for callers (the
// console) that show them apart.
func TestLocatedError(t *testing.T) {
	_, err := parse(t, "site:\n  name: X\n  timezon: UTC\n")
	var e *Error
	if !errors.As(err, &e) || e.File != "policy.yaml" || e.Line != 3 || e.Field != "site.timezon" {
		t.Fatalf("%#v", err)
	}
}

// TestDefaults: a policy that names only the school has every default
// set (an empty file is no policy at all: see TestLoadRefusesEmpty).
func TestDefaults(t *testing.T) {
	c, err := parse(t, "site: {name: X}\n")
	if err != nil {
		t.Fatal(err)
	}
	const day = 24 * time.Hour
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"site.timezone", c.Site.Timezone, "UTC"},
		{"dns.block_response", string(c.DNS.BlockResponse), "blockpage"},
		{"dns.illegal_response", string(c.DNS.IllegalResponse), "nxdomain"},
		{"dns.blockpage_ipv4", c.DNS.BlockPageIPv4, "127.0.0.1"},
		{"dns.log_queries", *c.DNS.LogQueries, true},
		{"dns.timeout", c.DNS.Timeout.D(), 2 * time.Second},
		{"dns.max_filtered_ttl", c.DNS.MaxFilteredTTL.D(), time.Minute},
		{"proxy.auth", c.Proxy.Auth, "none"},
		{"proxy.connect_ports", c.Proxy.ConnectPorts[0], 443},
		{"proxy.session_ttl", c.Proxy.SessionTTL.D(), 8 * time.Hour},
		{"admin.listen", c.Admin.Listen, "127.0.0.1:9153"},
		{"retention.activity", c.Retention.Activity.D(), 365 * day},
		{"retention.dns_events", c.Retention.DNSEvents.D(), 30 * day},
		{"lists.refresh", c.Lists.Refresh, 24 * time.Hour},
		{"lists.max_age", c.Lists.MaxAge, 7 * day},
		{"lists.cache_dir", c.Lists.CacheDir, ""},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.field, ch.got, ch.want)
		}
	}
	if c.File != "/school/policy.yaml" || c.Dir != "/school" {
		t.Errorf("file %q dir %q", c.File, c.Dir)
	}
}

// TestLists: the lists: section, strictly.
func TestLists(t *testing.T) {
	const day = 24 * time.Hour
	good := []struct {
		text            string
		refresh, maxAge time.Duration
	}{
		{"lists: {}", 24 * time.Hour, 7 * day},
		{"lists: {refresh: 6h}", 6 * time.Hour, 7 * day},
		{"lists: {refresh: 12h, max_age: 3d}", 12 * time.Hour, 3 * day},
		{"lists: {max_age: 2w}", 24 * time.Hour, 14 * day},
		{"lists: {max_age: off}", 24 * time.Hour, 0},
		{"lists: {max_age: 0}", 24 * time.Hour, 0},
		{"lists: {refresh: off}", 0, 7 * day},
		{"lists: {refresh: off, max_age: 1h}", 0, time.Hour},
		{"lists: {refresh: 30d, max_age: off}", 30 * day, 0},
		{"lists: {refresh: 10m}", 10 * time.Minute, 7 * day},
		{"lists: {max_age: 1d}", 24 * time.Hour, day},
	}
	for _, g := range good {
		c, err := parse(t, g.text+"\n")
		if err != nil {
			t.Errorf("%s: %v", g.text, err)
			continue
		}
		if c.Lists.Refresh != g.refresh || c.Lists.MaxAge != g.maxAge {
			t.Errorf("%s: refresh %v max_age %v, want %v %v", g.text, c.Lists.Refresh, c.Lists.MaxAge, g.refresh, g.maxAge)
		}
	}
	c, err := parse(t, "lists:\n  cache_dir: /var/cache/schoolgate\n")
	if err != nil || c.Lists.CacheDir != "/var/cache/schoolgate" || c.Lists.Refresh != 24*time.Hour {
		t.Errorf("cache_dir: %+v %v", c.Lists, err)
	}
	bad := []struct{ text, want string }{
		{"lists:\n  refresh: 5m\n", "policy.yaml:2: lists.refresh: 5m is too often (at least 10m0s, or off)"},
		{"lists:\n  refresh: daily\n", `policy.yaml:2: lists.refresh: bad duration "daily"`},
		{"lists:\n  refresh: 1d\n  max_age: 12h\n", "policy.yaml:3: lists.max_age: lists.max_age (12h0m0s) is shorter than lists.refresh (24h0m0s)"},
		{"lists:\n  max_age: 12h\n", "policy.yaml:2: lists.max_age: lists.max_age (12h0m0s) is shorter than lists.refresh (24h0m0s)"},
		{"lists:\n  refresh: 30d\n", "policy.yaml:2: lists.refresh: lists.max_age (168h0m0s) is shorter than lists.refresh (720h0m0s)"},
		{"lists:\n  max_age: -1d\n", `policy.yaml:2: lists.max_age: bad duration "-1d"`},
		{"lists:\n  max-age: 7d\n", "policy.yaml:2: lists.max-age: unknown field (known: cache_dir, refresh, max_age)"},
		{"lists: [a]\n", "policy.yaml:1: lists: expected a mapping, not a list"},
		{"lists:\n  refresh: [1h]\n", "policy.yaml:2: lists.refresh: expected a single value, not a list"},
	}
	for _, b := range bad {
		_, err := parse(t, b.text)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q:\n got  %v\n want %s", b.text, err, b.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"45m": 45 * time.Minute, "12h": 12 * time.Hour, "30d": 30 * 24 * time.Hour,
		"2w": 14 * 24 * time.Hour, "1.5d": 36 * time.Hour, " 90s ": 90 * time.Second, "0": 0,
	}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "xd", "-1d", "-5m", "3x", "1 day", "off"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseNetwork(t *testing.T) {
	good := map[string]string{
		"10.20.0.0/16":    "10.20.0.0/16",
		"10.20.1.5/16":    "10.20.0.0/16", // masked
		"10.0.0.7":        "10.0.0.7/32",
		"2001:db8::/32":   "2001:db8::/32",
		"::1":             "::1/128",
		"::ffff:10.0.0.1": "10.0.0.1/32", // a mapped address is its IPv4 self
	}
	for in, want := range good {
		got, err := ParseNetwork(in)
		if err != nil || got != netip.MustParsePrefix(want) {
			t.Errorf("ParseNetwork(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "10.0.0.0/33", "10.0.0", "school-lan", "10.0.0.0/16/8"} {
		if _, err := ParseNetwork(in); err == nil || !strings.Contains(err.Error(), "is not a network") {
			t.Errorf("ParseNetwork(%q): %v", in, err)
		}
	}
}

// TestOrder: categories, groups and rule cells keep their declaration
// order and lines; a bare default is one "others" cell.
func TestOrder(t *testing.T) {
	c, err := parse(t, `categories:
  zebra: {sources: [{path: z.txt, format: domains}]}
  alpha:
    title: Alpha
    sources: [{url: "https://lists.example/a", format: hosts}]
groups:
  pupils: {networks: [10.20.0.0/16]}
  staff: {networks: 10.10.0.0/16}
rules:
  zebra: {staff: allow, pupils: warn, others: block}
default: allow
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Categories.Names(), ","); got != "zebra,alpha" {
		t.Errorf("categories %s", got)
	}
	if got := strings.Join(c.Groups.Names(), ","); got != "pupils,staff" {
		t.Errorf("groups %s", got)
	}
	a, ok := c.Categories.Get("alpha")
	if !ok || a.Title != "Alpha" || a.Sources[0].URL != "https://lists.example/a" || a.Sources[0].Line != 5 || c.Categories[1].Line != 3 {
		t.Errorf("alpha: %+v (line %d)", a, c.Categories[1].Line)
	}
	if s, _ := c.Groups.Get("staff"); len(s.Networks) != 1 || s.Networks[0] != "10.10.0.0/16" {
		t.Errorf("a single network is a one-item list: %+v", s)
	}
	row, _ := c.Rules.Get("zebra")
	if got := strings.Join(row.Cells.Names(), ","); got != "staff,pupils,others" || row.Line != 10 {
		t.Errorf("row %s line %d", got, row.Line)
	}
	if !c.Default.Set || !c.Default.Bare || c.Default.Cells[0].Name != "others" || c.Default.Cells[0].Value != "allow" {
		t.Errorf("default %+v", c.Default)
	}
}

// TestLoadAndPath: Load reads a file by path and resolves relative list
// paths against its folder; a missing file is not ErrInvalid.
func TestLoadAndPath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(p, []byte("site: {name: X}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path("lists/a.txt") != filepath.Join(dir, "lists/a.txt") || c.Path("/abs/b.txt") != "/abs/b.txt" || c.Path("") != "" {
		t.Errorf("Path: %s", c.Path("lists/a.txt"))
	}
	_, err = Load(filepath.Join(dir, "nope.yaml"))
	if err == nil || errors.Is(err, ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestStarterPolicyParses: the embedded starter policy is a valid file
// whose lists keep the defaults.
func TestStarterPolicyParses(t *testing.T) {
	c, err := Parse("starter", "/school/schoolgate.yaml", starter.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Categories) == 0 || c.Lists.Refresh != DefaultListRefresh || c.Lists.MaxAge != DefaultListMaxAge {
		t.Errorf("%d categories, lists %+v", len(c.Categories), c.Lists)
	}
}

// TestOIDCProviders: presets fill in the issuer; bad providers name the
// field.
func TestOIDCProviders(t *testing.T) {
	ok := "site: {name: x}\nidentity:\n  oidc:\n    - {name: microsoft, tenant_id: abc, client_id: id, client_secret_env: X}\n    - {name: google, hosted_domain: school.example, client_id: id, client_secret_file: s.txt}\n"
	c, err := Parse("p.yaml", "/tmp/p.yaml", []byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Identity.OIDC[0].Issuer; got != "https://login.microsoftonline.com/abc/v2.0" {
		t.Errorf("microsoft issuer %q", got)
	}
	if p := c.Identity.OIDC[1]; p.Issuer != "https://accounts.google.com" || p.UsernameClaim != "email" {
		t.Errorf("google preset %+v", p)
	}
	for want, body := range map[string]string{
		"tenant_id":     "{name: microsoft, client_id: id, client_secret_env: X}",
		"must be https": "{name: x, issuer: 'http://idp.example', client_id: id, client_secret_env: X}",
		"client_id":     "{name: x, issuer: 'https://idp.example'}",
		"exactly one":   "{name: x, issuer: 'https://idp.example', client_id: id}",
		"only pupil":    "{name: x, issuer: 'https://idp.example', client_id: id, client_secret_env: X, auto_create_role: dsl}",
		"is not a role": "{name: x, issuer: 'https://idp.example', client_id: id, client_secret_env: X, roles_from_groups: {G: wizard}}",
		"lower-case":    "{name: 'Bad Name', issuer: 'https://idp.example', client_id: id, client_secret_env: X}",
	} {
		_, err := Parse("p.yaml", "/tmp/p.yaml", []byte("site: {name: x}\nidentity:\n  oidc:\n    - "+body+"\n"))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "identity.oidc[0]") {
			t.Errorf("%s: %v", want, err)
		}
	}
}
