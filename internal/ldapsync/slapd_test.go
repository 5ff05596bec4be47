package ldapsync

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/ca"
	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// slapd is Debian's OpenLDAP server (installed by scripts/test.sh) with a
// small school directory: staff, pupils, a disabled account, a group.
type slapd struct {
	url, ca string
	cmd     *exec.Cmd
	args    []string
}

const schoolSchema = `attributetype ( 1.3.6.1.4.1.55555.1.1 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.2 NAME 'yearGroup' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.55555.1.3 NAME 'schoolGroup' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.3.6.1.4.1.55555.2.1 NAME 'schoolPerson' AUXILIARY MAY ( userAccountControl $ yearGroup $ schoolGroup ) )
`

const schoolLDIF = `dn: dc=school,dc=example
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
schoolGroup: cn=SG-DSL,ou=groups,dc=school,dc=example

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
schoolGroup: cn=5B,ou=groups,dc=school,dc=example
`

func startSlapd(t *testing.T) *slapd {
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
	write("school.schema", schoolSchema)
	os.MkdirAll(filepath.Join(dir, "db"), 0o700)
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
	ldif := write("school.ldif", schoolLDIF)
	if out, err := exec.Command(bin[:strings.LastIndex(bin, "/")+1]+"slapadd", "-f", conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &slapd{url: "ldap://127.0.0.1:" + strconv.Itoa(port), ca: caFile, args: []string{bin, "-f", conf, "-h", "ldap://127.0.0.1:" + strconv.Itoa(port) + "/", "-d", "0"}}
	s.start(t)
	t.Cleanup(s.stop)
	return s
}

func (s *slapd) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.args[0], s.args[1:]...)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "ldap://"))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *slapd) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func (s *slapd) config(t *testing.T) config.LDAP {
	t.Helper()
	pw := filepath.Join(t.TempDir(), "bind.txt")
	os.WriteFile(pw, []byte("svc-secret\n"), 0o600)
	yaml := "site: {name: x}\nidentity:\n  ldap:\n    url: " + s.url + "\n    ca_file: " + s.ca + "\n    bind_dn: cn=svc-schoolgate,dc=school,dc=example\n" +
		"    bind_password_file: " + pw + "\n    staff: {base_dn: 'ou=staff,dc=school,dc=example', filter: '(objectClass=inetOrgPerson)', role: teacher}\n" +
		"    pupils: {base_dn: 'ou=pupils,dc=school,dc=example', filter: '(objectClass=inetOrgPerson)'}\n" +
		"    attributes: {username: uid, display_name: displayName, year_group: yearGroup, groups: schoolGroup, email: mail, disabled: userAccountControl}\n"
	c, err := config.Parse("p.yaml", filepath.Join(t.TempDir(), "p.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c.Identity.LDAP
}

// TestDirectorySync: against a real slapd over StartTLS. A sync adds the
// people with their roles, year group and groups; the account disabled
// there is disabled here; a second sync changes nothing; a password is
// checked by a bind (the proxy log-in path through the store's
// directory); with the directory down, a sync fails clearly and the users
// stay as they were.
func TestDirectorySync(t *testing.T) {
	s := startSlapd(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			opt := store.Options{SQLitePath: filepath.Join(t.TempDir(), "sg.db")}
			if backend == "postgres" {
				opt = store.Options{PostgresDSN: storetest.PostgresDSN(t)}
			}
			st, err := store.Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// Someone the directory no longer has.
			if err := st.CreateUser(ctx, store.Actor{Name: "office"}, identity.User{Username: "gone.pupil", Roles: []identity.Role{identity.RolePupil}}, ""); err != nil {
				t.Fatal(err)
			}
			cfg := s.config(t)
			c, err := New(cfg, func(p string) string { return p })
			if err != nil {
				t.Fatal(err)
			}
			by := store.Actor{Name: "schoolgate", From: "ldap-sync"}
			rep, err := Apply(ctx, c, st, by, true)
			if err != nil {
				t.Fatal(err)
			}
			if rep.People != 3 || rep.Added != 3 || rep.Disabled != 1 || rep.DisabledHere != 1 {
				t.Fatalf("first sync: %+v", rep)
			}
			amy, _ := st.GetUser(ctx, "amy.shah")
			jo, _ := st.GetUser(ctx, "jo.pupil")
			old, _ := st.GetUser(ctx, "old.teacher")
			gone, _ := st.GetUser(ctx, "gone.pupil")
			if identity.JoinRoles(amy.Roles) != "teacher" || amy.Email != "amy@school.example" || amy.DisplayName != "Amy Shah" || strings.Join(amy.Groups, ",") != "SG-DSL" {
				t.Errorf("amy: %+v", amy)
			}
			if identity.JoinRoles(jo.Roles) != "pupil" || jo.YearGroup != "5" || strings.Join(jo.Groups, ",") != "5B" {
				t.Errorf("jo: %+v", jo)
			}
			if !old.Disabled || !gone.Disabled {
				t.Errorf("disabled: old.teacher %v, gone.pupil %v", old.Disabled, gone.Disabled)
			}
			rep, err = Apply(ctx, c, st, by, true)
			if err != nil || rep.Added+rep.Updated+rep.Disabled+rep.DisabledHere != 0 || rep.Unchanged != 3 {
				t.Errorf("second sync: %+v %v", rep, err)
			}

			// Passwords by bind, through the directory the proxy asks.
			dir, err := store.NewDirectory(st, store.DirectoryOptions{CheckPassword: c.CheckPassword, CacheTTL: -1})
			if err != nil {
				t.Fatal(err)
			}
			client := netip.MustParseAddr("10.20.0.9")
			if u, err := dir.Authenticate(ctx, "jo.pupil", "Pupil-Pass-77", client); err != nil || u.Username != "jo.pupil" {
				t.Errorf("the right password: %v", err)
			}
			for _, pw := range []string{"wrong", ""} {
				if _, err := dir.Authenticate(ctx, "jo.pupil", pw, client); !errors.Is(err, identity.ErrBadCredentials) {
					t.Errorf("password %q: %v", pw, err)
				}
			}
			if _, err := dir.Authenticate(ctx, "old.teacher", "Left-Last-Year-1", client); !errors.Is(err, identity.ErrDisabled) {
				t.Errorf("a disabled account: %v", err)
			}
			if _, err := dir.Authenticate(ctx, "nobody", "x", client); !errors.Is(err, identity.ErrBadCredentials) {
				t.Errorf("an unknown person: %v", err)
			}
		})
	}

	// The directory down: a clear error, nothing changed.
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "sg.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, _ := New(s.config(t), func(p string) string { return p })
	if _, err := Apply(ctx, c, st, store.Actor{Name: "schoolgate"}, true); err != nil {
		t.Fatal(err)
	}
	s.stop()
	_, err = Apply(ctx, c, st, store.Actor{Name: "schoolgate"}, true)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("directory down: %v", err)
	}
	if _, err := c.CheckPassword(ctx, "jo.pupil", "Pupil-Pass-77"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a password check with the directory down: %v", err)
	}
	users, _ := st.ListUsers(ctx, store.AllSites)
	enabled := 0
	for _, u := range users {
		if !u.Disabled {
			enabled++
		}
	}
	if len(users) != 3 || enabled != 2 {
		t.Errorf("after a failed sync: %d users, %d enabled", len(users), enabled)
	}
}
