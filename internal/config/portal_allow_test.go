package config

import (
	"slices"
	"strings"
	"testing"
)

// TestPortalAllow: portal_allow takes plain host names (lower-cased, a
// trailing dot dropped) and refuses a URL, a port, a wildcard, an
// address or a bad label, naming the entry; the garden is those names plus the issuers'
// hosts (not an issuer given as an address), and a name counts when it is
// one of them or under one, never a name that merely ends the same way.
func TestPortalAllow(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"portal_allow: [Login.Example.COM., aadcdn.msftauth.net]\n", ""},
		{"portal_allow: [https://login.example.com]\n", `portal_allow[0]: "https://login.example.com" is not a host name`},
		{"portal_allow: [ok.test, login.example.com:443]\n", `portal_allow[1]`},
		{"portal_allow: ['*.example.com']\n", `portal_allow[0]`},
		{"portal_allow: [adfs, -bad.test]\n", `portal_allow[1]: "-bad.test" is not a host name`},
		{"portal_allow: [a..b]\n", `portal_allow[0]`},
		{"portal_allow: [10.1.2.3]\n", `portal_allow[0]: "10.1.2.3" is an address`},
	} {
		_, err := Parse("p.yaml", "/tmp/p.yaml", []byte(c.yaml))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.yaml, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}

	c, err := Parse("p.yaml", "/tmp/p.yaml", []byte(`portal_allow: [Fonts.IdP-CDN.test.]
identity:
  oidc:
    - name: microsoft
      tenant_id: abc
      client_id: x
      client_secret_env: SG_X
    - name: school
      issuer: http://127.0.0.1:9999/oidc
      client_id: y
      client_secret_env: SG_Y
`))
	if err != nil {
		t.Fatal(err)
	}
	garden := c.PortalGarden()
	if want := []string{"fonts.idp-cdn.test", "login.microsoftonline.com"}; !slices.Equal(garden, want) {
		t.Fatalf("garden %v, want %v", garden, want)
	}
	for name, want := range map[string]bool{
		"fonts.idp-cdn.test": true, "a.fonts.idp-cdn.test": true, "login.microsoftonline.com": true,
		"evilfonts.idp-cdn.test": false, "idp-cdn.test": false, "login.microsoftonline.com.evil.test": false,
		"microsoftonline.com": false, "ok.test": false, "": false,
	} {
		if got := InGarden(garden, name); got != want {
			t.Errorf("InGarden(%q) = %v, want %v", name, got, want)
		}
	}
}
