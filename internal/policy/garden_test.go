package policy

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPortalAllows: the walled garden is portal_allow and the issuers'
// hosts from the policy, plus the endpoints discovery names for an issuer
// the policy still has (a reload that drops the provider drops them);
// nothing else, and an address never.
func TestPortalAllows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	const with = `portal_allow: [cdn.idp.test]
identity:
  oidc:
    - name: school
      issuer: https://issuer.idp.test/tenant
      client_id: y
      client_secret_env: SG_Y
`
	if err := os.WriteFile(path, []byte(with), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(path, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string, want map[string]bool) {
		t.Helper()
		for name, w := range want {
			if got := e.PortalAllows(name); got != w {
				t.Errorf("%s: PortalAllows(%q) = %v, want %v", when, name, got, w)
			}
		}
	}
	check("before discovery", map[string]bool{"cdn.idp.test": true, "img.cdn.idp.test": true, "issuer.idp.test": true,
		"login.idp.test": false, "idp.test": false, "ok.test": false})

	e.AddPortalHosts("https://issuer.idp.test/tenant", "https://login.idp.test/authorize", "https://token.idp.test:8443/token", "http://10.0.0.1/x", "")
	e.AddPortalHosts("https://other.test", "https://other-login.test/authorize")
	check("after discovery", map[string]bool{"login.idp.test": true, "token.idp.test": true, "issuer.idp.test": true,
		"other-login.test": false, "10.0.0.1": false, "ok.test": false})

	if err := os.WriteFile(path, []byte("portal_allow: [cdn.idp.test]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	check("provider removed", map[string]bool{"cdn.idp.test": true, "login.idp.test": false, "token.idp.test": false, "issuer.idp.test": false})
}
