package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// OIDCProvider is one OpenID Connect provider of identity.oidc.
type OIDCProvider struct {
	// Name is the provider's name in URLs (/login/oidc/NAME). The preset
	// names microsoft and google fill in the issuer.
	Name  string `yaml:"name"`
	Title string `yaml:"title"` // the sign-in button's words
	// Issuer is the provider's issuer URL (https); for microsoft it comes
	// from TenantID, for google it is Google's.
	Issuer   string `yaml:"issuer"`
	TenantID string `yaml:"tenant_id"` // microsoft: the Entra tenant
	// HostedDomain (google): the Workspace domain (the hd claim) required.
	HostedDomain string `yaml:"hosted_domain"`
	ClientID     string `yaml:"client_id"`
	// The client secret, from the environment or a file (never the policy).
	ClientSecretEnv  string `yaml:"client_secret_env"`
	ClientSecretFile string `yaml:"client_secret_file"`
	// AllowedDomains: a verified e-mail address must be in one of them.
	AllowedDomains []string `yaml:"allowed_domains"`
	// UsernameClaim holds the directory username (default
	// preferred_username; google: email). Its part before @ is matched
	// when the claim is an address.
	UsernameClaim string `yaml:"username_claim"`
	// GroupsClaim holds the person's groups (default groups), mapped to
	// roles by RolesFromGroups.
	GroupsClaim     string            `yaml:"groups_claim"`
	RolesFromGroups map[string]string `yaml:"roles_from_groups"`
	// AutoCreateRole: a person the directory does not know is made with
	// this role (only pupil or visitor); empty: no entry.
	AutoCreateRole string `yaml:"auto_create_role"`
	Line           int    `yaml:"-"`
}

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// signInRoles are the roles roles_from_groups may give.
var signInRoles = []string{"staff", "teacher", "technical", "esafety-lead", "dsl", "slt", "governor", "pupil", "visitor"}

// validateOIDC checks identity.oidc (filling in the presets),
// identity.ldap and identity.password.
func (id *Identity) validateOIDC() error {
	if err := id.LDAP.validate(); err != nil {
		return err
	}
	switch id.Password {
	case "", "local":
	case "ldap":
		if id.LDAP.URL == "" {
			return fmt.Errorf("identity.password: ldap needs identity.ldap")
		}
	default:
		return fmt.Errorf("identity.password %q: local or ldap", id.Password)
	}
	seen := map[string]bool{}
	for i := range id.OIDC {
		p := &id.OIDC[i]
		at := fmt.Sprintf("identity.oidc[%d] (line %d)", i, p.Line)
		if !providerName.MatchString(p.Name) {
			return fmt.Errorf("%s: name %q: lower-case letters, digits and hyphens", at, p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("%s: name %q appears twice", at, p.Name)
		}
		seen[p.Name] = true
		switch p.Name {
		case "microsoft":
			if p.Issuer == "" {
				if p.TenantID == "" {
					return fmt.Errorf("%s: microsoft needs tenant_id (the Entra tenant's id)", at)
				}
				p.Issuer = "https://login.microsoftonline.com/" + url.PathEscape(p.TenantID) + "/v2.0"
			}
			if p.Title == "" {
				p.Title = "Sign in with Microsoft"
			}
		case "google":
			if p.Issuer == "" {
				p.Issuer = "https://accounts.google.com"
			}
			if p.UsernameClaim == "" {
				p.UsernameClaim = "email"
			}
			if p.Title == "" {
				p.Title = "Sign in with Google"
			}
		}
		if p.Title == "" {
			p.Title = "Sign in with " + p.Name
		}
		if p.UsernameClaim == "" {
			p.UsernameClaim = "preferred_username"
		}
		if p.GroupsClaim == "" {
			p.GroupsClaim = "groups"
		}
		u, err := url.Parse(p.Issuer)
		if p.Issuer == "" || err != nil || u.Host == "" {
			return fmt.Errorf("%s: issuer %q: the provider's issuer URL is needed", at, p.Issuer)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname())) {
			return fmt.Errorf("%s: issuer %q: must be https (http only on loopback, for tests)", at, p.Issuer)
		}
		if p.ClientID == "" {
			return fmt.Errorf("%s: client_id is needed", at)
		}
		if (p.ClientSecretEnv == "") == (p.ClientSecretFile == "") {
			return fmt.Errorf("%s: give the client secret with exactly one of client_secret_env or client_secret_file", at)
		}
		for _, d := range p.AllowedDomains {
			if d == "" || strings.ContainsAny(d, "@/ ") {
				return fmt.Errorf("%s: allowed_domains: %q is not a domain", at, d)
			}
		}
		for g, r := range p.RolesFromGroups {
			if !contains(signInRoles, r) {
				return fmt.Errorf("%s: roles_from_groups[%q]: %q is not a role", at, g, r)
			}
		}
		if p.AutoCreateRole != "" && p.AutoCreateRole != "pupil" && p.AutoCreateRole != "visitor" {
			return fmt.Errorf("%s: auto_create_role %q: only pupil or visitor may be made on the fly", at, p.AutoCreateRole)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ClientSecret reads the provider's client secret from the environment
// or its file.
func (p *OIDCProvider) ClientSecret(dir func(string) string) (string, error) {
	if p.ClientSecretEnv != "" {
		v := strings.TrimSpace(os.Getenv(p.ClientSecretEnv))
		if v == "" {
			return "", fmt.Errorf("identity.oidc %s: the environment variable %s is empty", p.Name, p.ClientSecretEnv)
		}
		return v, nil
	}
	b, err := os.ReadFile(dir(p.ClientSecretFile))
	if err != nil {
		return "", fmt.Errorf("identity.oidc %s: client_secret_file: %w", p.Name, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("identity.oidc %s: client_secret_file %s is empty", p.Name, p.ClientSecretFile)
	}
	return v, nil
}
