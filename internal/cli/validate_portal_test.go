package cli

import (
	"strings"
	"testing"
)

const portalValidatePolicy = `categories:
  gambling: {sources: [{path: lists/gambling.txt, format: domains}]}
groups:
  devices: {networks: [10.40.0.0/16], portal: true}
default_group: devices
rules:
  gambling: {others: block}
default: allow
identity:
  ldap: {url: "ldaps://dc1.school.test", bind_dn: "cn=svc", bind_password_env: SG_LDAP, pupils: {base_dn: "ou=pupils"}}
  password: ldap
blockpage:
  listen: 127.0.0.1:8080
`

// TestValidatePortal: LDAP passwords on a plain-HTTP sign-in page are a
// warning; with blockpage.tls, none; blockpage.tls without both files'
// halves is an error naming the field.
func TestValidatePortal(t *testing.T) {
	lists := map[string]string{"lists/gambling.txt": "bet.example.com\n"}
	code, out, errs := run(t, "", "validate", "-c", writePolicy(t, portalValidatePolicy, lists), "--data", t.TempDir())
	if code != 0 || !strings.Contains(out, "warning: ") || !strings.Contains(out, "identity.password: ldap with a portal group and no blockpage.tls") {
		t.Fatalf("plain HTTP: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run(t, "", "validate", "-c", writePolicy(t, portalValidatePolicy+"  tls: {listen: 127.0.0.1:8443}\n", lists), "--data", t.TempDir())
	if code != 0 || strings.Contains(out, "blockpage.tls") {
		t.Fatalf("with blockpage.tls: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run(t, "", "validate", "-c", writePolicy(t, portalValidatePolicy+"  tls: {listen: 127.0.0.1:8443, cert_file: c.pem}\n", lists), "--data", t.TempDir())
	if code != 2 || !strings.Contains(errs, "blockpage.tls: give both cert_file and key_file") {
		t.Fatalf("half the files: exit %d\n%s\n%s", code, out, errs)
	}
}
