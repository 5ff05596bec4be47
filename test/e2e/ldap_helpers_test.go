package e2e

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/ca"
)

// slapdServer is Debian's OpenLDAP server (installed by scripts/test.sh)
// with a small school directory, reached over StartTLS with a CA of the
// test's own: staff (amy.shah, in the directory group "staff"), a pupil
// (jo.pupil, in "pupils") and a disabled account (old.teacher).
type slapdServer struct {
	url, ca string
	cmd     *exec.Cmd
	args    []string
}

const slapdSchema = `attributetype ( 1.3.6.1.4.1.55555.1.1 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.2 NAME 'yearGroup' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.3 NAME 'schoolGroup' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.3.6.1.4.1.55555.2.1 NAME 'schoolPerson' AUXILIARY MAY ( userAccountControl $ yearGroup $ schoolGroup ) )
`

const slapdLDIF = `dn: dc=school,dc=example
objectClass: dcObject
objectClass: organization
dc: school
o: Test School

dn: ou=staff,dc=school,dc=example
objectClass: organizationalUnit
ou: staff

dn: ou=pupils,dc=school,dc=example
objectClass: organizationalUnit
ou: pupils

dn: cn=svc-schoolgate,dc=school,dc=example
objectClass: inetOrgPerson
cn: svc-schoolgate
sn: service
userPassword: svc-secret

dn: uid=amy.shah,ou=staff,dc=school,dc=example
objectClass: inetOrgPerson
objectClass: schoolPerson
uid: amy.shah
cn: Amy Shah
sn: Shah
displayName: Amy Shah
mail: amy@school.example
userPassword: Kestrel-Harbour-9
userAccountControl: 512
schoolGroup: cn=staff,ou=groups,dc=school,dc=example

dn: uid=old.teacher,ou=staff,dc=school,dc=example
objectClass: inetOrgPerson
objectClass: schoolPerson
uid: old.teacher
cn: Old Teacher
sn: Teacher
userPassword: Left-Last-Year-1
userAccountControl: 514

dn: uid=jo.pupil,ou=pupils,dc=school,dc=example
objectClass: inetOrgPerson
objectClass: schoolPerson
uid: jo.pupil
cn: Jo Pupil
sn: Pupil
displayName: Jo Pupil
userPassword: Pupil-Pass-77
yearGroup: 5
userAccountControl: 512
schoolGroup: cn=pupils,ou=groups,dc=school,dc=example
`

// startSlapdServer starts slapd on a free loopback port; it fails (under
// CI) or skips when slapd is not installed.
func startSlapdServer(t *testing.T) *slapdServer {
	t.Helper()
	bin, err := exec.LookPath("slapd")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/slapd"); e == nil {
			bin, err = "/usr/sbin/slapd", nil
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("slapd is not installed (Debian package slapd; scripts/test.sh installs it)")
		}
		t.Skip("slapd is not installed (apt-get install slapd)")
	}
	dir := t.TempDir()
	if err := ca.Create(filepath.Join(dir, "ca"), "Test Directory CA", time.Now); err != nil {
		t.Fatal(err)
	}
	auth, err := ca.Load(filepath.Join(dir, "ca"), 4, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := auth.Leaf("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	var chain []byte
	for _, der := range leaf.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("cert.pem", string(chain))
	write("key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})))
	caFile := write("ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: auth.Certificate().Raw})))
	write("school.schema", slapdSchema)
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := write("slapd.conf", `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include `+dir+`/school.schema
pidfile `+dir+`/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile `+dir+`/cert.pem
TLSCertificateKeyFile `+dir+`/key.pem
access to attrs=userPassword by anonymous auth by self read by * none
access to * by * read
database mdb
maxsize 10485760
suffix "dc=school,dc=example"
rootdn "cn=admin,dc=school,dc=example"
rootpw admin-secret
directory `+dir+`/db
`)
	ldif := write("school.ldif", slapdLDIF)
	if out, err := exec.Command(filepath.Join(filepath.Dir(bin), "slapadd"), "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	s := &slapdServer{url: "ldap://127.0.0.1:" + port, ca: caFile, args: []string{bin, "-f", conf, "-h", "ldap://127.0.0.1:" + port + "/", "-d", "0"}}
	s.start(t)
	t.Cleanup(s.stop)
	return s
}

func (s *slapdServer) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.args[0], s.args[1:]...)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "slapd listening", func() bool {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "ldap://"))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (s *slapdServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// policy is the identity section for this directory (the bind password
// in a file of dir), with passwords checked by bind.
func (s *slapdServer) policy(t *testing.T, dir string) string {
	t.Helper()
	pw := filepath.Join(dir, "bind.txt")
	if err := os.WriteFile(pw, []byte("svc-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return "identity:\n  password: ldap\n  ldap:\n    url: " + s.url + "\n    ca_file: " + s.ca + "\n    bind_dn: cn=svc-schoolgate,dc=school,dc=example\n" +
		"    bind_password_file: " + pw + "\n    staff: {base_dn: 'ou=staff,dc=school,dc=example', filter: '(objectClass=inetOrgPerson)', role: teacher}\n" +
		"    pupils: {base_dn: 'ou=pupils,dc=school,dc=example', filter: '(objectClass=inetOrgPerson)'}\n" +
		"    attributes: {username: uid, display_name: displayName, year_group: yearGroup, groups: schoolGroup, email: mail, disabled: userAccountControl}\n" +
		"    timeout: 2s\n"
}
