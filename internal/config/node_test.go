package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeNode(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "node.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadNodeRefusesPolicy(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"dns:\n  listen: [127.0.0.2:53]\ncategories:\n  adult: {}\n", "node.yaml:3: categories: not a node setting"},
		{"dns:\n  listen: [127.0.0.2:53]\n  block_response: nxdomain\n", "node.yaml:3: dns.block_response: not a node setting"},
		{"proxy:\n  listen: 127.0.0.2:3128\n  inspect: true\n", "node.yaml:3: proxy.inspect: not a node setting"},
		{"storage:\n  sqlite: x\n", "node.yaml:2: storage.sqlite: not a node setting"},
	} {
		_, err := LoadNode(writeNode(t, tc.text))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadNode(%q) = %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestApplyNode(t *testing.T) {
	p := writeNode(t, "dns:\n  listen: [127.0.0.2:5353]\n  upstreams: [127.0.0.1:9953]\n  upstream_ca: ca.pem\nadmin:\n  listen: 127.0.0.2:9153\nstorage:\n  postgres_file: pg.dsn\n")
	n, err := LoadNode(p)
	if err != nil {
		t.Fatal(err)
	}
	pushed := `# the trust's policy
site: {name: Trust}
dns:
  listen: [0.0.0.0:53]
  block_response: nxdomain
storage:
  postgres_file: /etc/x
admin:
  pprof: true
categories:
  video:
    sources:
      - {path: lists/video.txt, format: domains}
      - {url: "https://example.org/x", format: domains}
`
	out, err := n.ApplyNode([]byte(pushed), NodeRewrite{Lists: map[string]string{"lists/video.txt": "lists/abc"}, CacheDir: "/data/node/cache"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	written := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(written, out, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(written)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.Join(c.DNS.Listen, ","); got != "127.0.0.2:5353" {
		t.Errorf("dns.listen = %s, want the node's", got)
	}
	if c.DNS.BlockResponse != "nxdomain" || c.DNS.Upstreams[0] != "127.0.0.1:9953" || c.DNS.UpstreamCA != filepath.Join(dir, "ca.pem") {
		t.Errorf("dns = %+v: the policy's block_response with the node's upstreams and CA (absolute)", c.DNS)
	}
	if c.Admin.Listen != "127.0.0.2:9153" || c.Admin.Pprof {
		t.Errorf("admin = %+v: the node's section whole", c.Admin)
	}
	if c.Storage.PostgresFile != "" {
		t.Errorf("storage left in the node's policy: %+v", c.Storage)
	}
	src := c.Categories[0].Value.Sources
	if src[0].Path != "lists/abc" || src[1].URL != "https://example.org/x" || c.Lists.CacheDir != "/data/node/cache" || c.Lists.Refresh != 0 {
		t.Errorf("sources %+v, lists %+v", src, c.Lists)
	}
	if !strings.Contains(string(out), "# the trust's policy") {
		t.Errorf("comments lost:\n%s", out)
	}
	// A path: list the version does not carry is refused, never dropped.
	if _, err := n.ApplyNode([]byte(pushed), NodeRewrite{CacheDir: "c"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "lists/video.txt") {
		t.Errorf("missing list: %v", err)
	}
}

// TestNodeSectionsIn names the node sections a school's file sets, which a
// push for a node refuses (they would be dropped), and nothing else.
func TestNodeSectionsIn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "school.yaml")
	if err := os.WriteFile(path, []byte("dns:\n  listen: [\"127.0.0.1:53\"]\nconsole: {listen: \"127.0.0.1:8443\", tls: off}\nrules: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse(path, path, mustRead(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if got := NodeSectionsIn(c); !slices.Equal(got, []string{"console", "dns"}) {
		t.Errorf("NodeSectionsIn = %v, want [console dns]", got)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
