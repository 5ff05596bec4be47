package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// LDAP is identity.ldap: the school's directory (Active Directory or any
// LDAP server), synchronised into Schoolgate's users and, with
// identity.password: ldap, asked to check passwords.
type LDAP struct {
	// URL is ldaps://HOST[:636] or ldap://HOST[:389] (then StartTLS,
	// unless insecure_plain on a loopback address, for tests).
	URL           string `yaml:"url"`
	CAFile        string `yaml:"ca_file"` // the directory's CA (default: the system's)
	InsecurePlain bool   `yaml:"insecure_plain"`
	BindDN        string `yaml:"bind_dn"`
	// The service account's password, from a file or the environment.
	BindPasswordFile string     `yaml:"bind_password_file"`
	BindPasswordEnv  string     `yaml:"bind_password_env"`
	Staff            LDAPSearch `yaml:"staff"`
	Pupils           LDAPSearch `yaml:"pupils"`
	Attributes       LDAPAttrs  `yaml:"attributes"`
	SyncEvery        Duration   `yaml:"sync_every"` // serve's schedule (default 1h; 0 with sync_off)
	Timeout          Duration   `yaml:"timeout"`    // each connection (default 10s)
	Line             int        `yaml:"-"`
}

// LDAPSearch finds one kind of person.
type LDAPSearch struct {
	BaseDN string `yaml:"base_dn"`
	Filter string `yaml:"filter"` // default (objectClass=person)
	// Role is the Schoolgate role of everyone found (staff: teacher by
	// default; pupils: pupil). Roles given by groups come on top.
	Role string `yaml:"role"`
}

// LDAPAttrs maps directory attributes to Schoolgate's fields. The
// defaults are Active Directory's.
type LDAPAttrs struct {
	Username    string `yaml:"username"`     // sAMAccountName
	DisplayName string `yaml:"display_name"` // displayName
	YearGroup   string `yaml:"year_group"`   // (none)
	Groups      string `yaml:"groups"`       // memberOf (group DNs: their CN is kept)
	Email       string `yaml:"email"`        // mail
	// Disabled is userAccountControl: the account is disabled when bit 2
	// (ACCOUNTDISABLE) is set.
	Disabled string `yaml:"disabled"`
}

func (l *LDAP) validate() error {
	if l.URL == "" {
		return nil
	}
	at := fmt.Sprintf("identity.ldap (line %d)", l.Line)
	u, err := url.Parse(l.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		return fmt.Errorf("%s: url %q: use ldaps://HOST or ldap://HOST (StartTLS)", at, l.URL)
	}
	if l.InsecurePlain && (u.Scheme != "ldap" || !loopbackHost(u.Hostname())) {
		return fmt.Errorf("%s: insecure_plain is only for ldap:// on a loopback address (tests); passwords must not cross the network in clear", at)
	}
	if l.BindDN == "" {
		return fmt.Errorf("%s: bind_dn is needed (a service account that may read the people)", at)
	}
	if (l.BindPasswordFile == "") == (l.BindPasswordEnv == "") {
		return fmt.Errorf("%s: give the bind password with exactly one of bind_password_file or bind_password_env", at)
	}
	if l.Staff.BaseDN == "" && l.Pupils.BaseDN == "" {
		return fmt.Errorf("%s: staff.base_dn or pupils.base_dn is needed", at)
	}
	if l.Staff.Role == "" {
		l.Staff.Role = "teacher"
	}
	if l.Pupils.Role == "" {
		l.Pupils.Role = "pupil"
	}
	for _, s := range []*LDAPSearch{&l.Staff, &l.Pupils} {
		if s.Filter == "" {
			s.Filter = "(objectClass=person)"
		}
		if !strings.HasPrefix(s.Filter, "(") || !strings.HasSuffix(s.Filter, ")") {
			return fmt.Errorf("%s: filter %q: an LDAP filter in parentheses", at, s.Filter)
		}
		if !contains(signInRoles, s.Role) {
			return fmt.Errorf("%s: role %q is not a role", at, s.Role)
		}
	}
	a := &l.Attributes
	for p, def := range map[*string]string{&a.Username: "sAMAccountName", &a.DisplayName: "displayName", &a.Groups: "memberOf", &a.Email: "mail", &a.Disabled: "userAccountControl"} {
		if *p == "" {
			*p = def
		}
	}
	if l.SyncEvery == 0 {
		l.SyncEvery = Duration(3600e9)
	}
	if l.Timeout == 0 {
		l.Timeout = Duration(10e9)
	}
	return nil
}

// Searches are the staff and pupil searches that have a base DN.
func (l *LDAP) Searches() []LDAPSearch {
	var out []LDAPSearch
	for _, s := range []LDAPSearch{l.Staff, l.Pupils} {
		if s.BaseDN != "" {
			out = append(out, s)
		}
	}
	return out
}

// BindPassword reads the service account's password.
func (l *LDAP) BindPassword(path func(string) string) (string, error) {
	if l.BindPasswordEnv != "" {
		v := os.Getenv(l.BindPasswordEnv)
		if v == "" {
			return "", fmt.Errorf("identity.ldap: the environment variable %s is empty", l.BindPasswordEnv)
		}
		return v, nil
	}
	b, err := os.ReadFile(path(l.BindPasswordFile))
	if err != nil {
		return "", fmt.Errorf("identity.ldap: bind_password_file: %w", err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("identity.ldap: bind_password_file %s is empty", l.BindPasswordFile)
	}
	return v, nil
}
