package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// testAccount is a provider account with whatever claims a case needs.
type testAccount struct {
	sub    string
	claims map[string]any
}

func (u *testAccount) ID() string { return u.sub }
func (u *testAccount) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub})
}
func (u *testAccount) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return mergedClaims{base, u.claims}, nil
}

// mergedClaims signs the provider's standard claims plus extra ones
// (which may override them: a forged nonce).
type mergedClaims struct {
	*mockoidc.IDTokenClaims
	extra map[string]any
}

func (m mergedClaims) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(m.IDTokenClaims)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	for k, v := range m.extra {
		out[k] = v
	}
	return json.Marshal(out)
}

// oidcFixture is the console with a real OpenID provider on loopback.
func oidcFixture(t *testing.T, backend string) (*fixture, *mockoidc.MockOIDC) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	cfg := m.Config()
	env := "SG_TEST_OIDC_SECRET_" + strings.ToUpper(backend)
	os.Setenv(env, cfg.ClientSecret)
	t.Cleanup(func() { os.Unsetenv(env) })
	f := newFixtureWith(t, backend, `  oidc:
    - name: school
      title: Sign in with School ID
      issuer: `+cfg.Issuer+`
      client_id: `+cfg.ClientID+`
      client_secret_env: `+env+`
      allowed_domains: [school.example]
      roles_from_groups: {"SG-DSL": dsl, "SG-Teachers": teacher}
`)
	f.clk.Set(time.Now())
	f.people()
	return f, m
}

// oidcSignIn runs the browser's part of the flow: the console's start
// page, the provider, and back to the callback (tamper may change the
// callback's URL). It returns the callback's status, Location and body.
func oidcSignIn(t *testing.T, b *browser, tamper func(u *url.URL)) (int, string, string) {
	t.Helper()
	st, loc, body := b.do("GET", "/login/oidc/school", nil)
	if st != http.StatusSeeOther {
		t.Fatalf("start: %d %s", st, body)
	}
	resp, err := b.hc.Get(loc) // the provider: straight back with a code
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("provider: %d %v", resp.StatusCode, err)
	}
	if tamper != nil {
		tamper(back)
	}
	return b.do("GET", back.RequestURI(), nil)
}

func account(sub string, claims map[string]any) *testAccount {
	base := map[string]any{"email_verified": true, "amr": []string{"pwd", "mfa"}}
	for k, v := range claims {
		base[k] = v
	}
	return &testAccount{sub: sub, claims: base}
}

// TestOIDCSignIn runs the cases against a real provider: a good
// sign-in (bound to the subject; MFA skips the console's own code), a
// tampered state, a forged nonce, an expired token, an address outside
// the school's domains, a person not in the directory, a group claim
// mapped to a role, amr without mfa, and a recycled address.
func TestOIDCSignIn(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testOIDCSignIn(t, backend) })
	}
}

func testOIDCSignIn(t *testing.T, backend string) {
	{
		f, m := oidcFixture(t, backend)
		// r-dsl's address at the school; the group claim keeps the dsl role.
		u, _ := f.st.GetUser(t.Context(), "r-dsl")
		u.Email = "amy@school.example"
		if err := f.st.UpdateUser(t.Context(), store.Actor{Name: "office"}, u); err != nil {
			t.Fatal(err)
		}

		b := f.browser()
		if _, _, body := b.do("GET", "/login", nil); !strings.Contains(body, `href="/login/oidc/school"`) || !strings.Contains(body, "Sign in with School ID") {
			t.Fatalf("no provider button:\n%s", body)
		}
		m.QueueUser(account("entra-1", map[string]any{"email": "amy@school.example", "preferred_username": "amy@school.example", "groups": []string{"SG-DSL"}}))
		st, loc, body := oidcSignIn(t, b, nil)
		if st != http.StatusSeeOther || loc != "/" {
			t.Fatalf("good sign-in: %d %s %s", st, loc, body)
		}
		if st, _, _ := b.do("GET", "/", nil); st != http.StatusOK {
			t.Fatalf("dashboard after sign-in: %d", st)
		}
		if name, err := f.st.OIDCBound(t.Context(), "school", "entra-1"); err != nil || name != "r-dsl" {
			t.Fatalf("binding: %q %v", name, err)
		}
		if !f.audited("console.signin", "user:r-dsl") {
			t.Error("sign-in not audited")
		}

		refused := func(name string, acct *testAccount, tamper func(*url.URL), want string) {
			t.Helper()
			if acct != nil {
				m.QueueUser(acct)
			}
			b := f.browser()
			st, loc, body := oidcSignIn(t, b, tamper)
			if st != http.StatusOK || !strings.Contains(body, want) || b.cookie() != "" {
				t.Errorf("%s: %d %s, want the page saying %q:\n%s", name, st, loc, want, body)
			}
		}
		refused("tampered state", account("entra-1", map[string]any{"email": "amy@school.example"}),
			func(u *url.URL) { q := u.Query(); q.Set("state", "forged"); u.RawQuery = q.Encode() }, "could not be matched")
		refused("forged nonce", account("entra-1", map[string]any{"email": "amy@school.example", "nonce": "forged"}), nil, "nonce")
		refused("outside the domains", account("g-9", map[string]any{"email": "amy@elsewhere.example", "preferred_username": "r-dsl"}), nil, "not in the school")
		refused("unverified address", account("g-10", map[string]any{"email": "amy@school.example", "email_verified": false}), nil, "not in the school")
		refused("not in the directory", account("entra-2", map[string]any{"email": "stranger@school.example", "preferred_username": "stranger@school.example"}), nil, "directory")
		// A recycled address: a new subject claiming the bound person.
		refused("recycled address", account("entra-99", map[string]any{"email": "amy@school.example", "preferred_username": "amy@school.example", "groups": []string{"SG-DSL"}}), nil, "different school account")

		// A group claim mapped to a role: r-teacher becomes dsl+teacher.
		m.QueueUser(account("entra-3", map[string]any{"email": "t@school.example", "preferred_username": "r-teacher", "groups": []string{"SG-Teachers", "SG-DSL", "Other"}}))
		if st, loc, _ := oidcSignIn(t, f.browser(), nil); st != http.StatusSeeOther || loc != "/" {
			t.Errorf("mapped groups: %d %s", st, loc)
		}
		if got, _ := f.st.GetUser(t.Context(), "r-teacher"); identity.JoinRoles(got.Roles) != "teacher,dsl" {
			t.Errorf("roles from groups: %v", got.Roles)
		}
		// amr without mfa: the console asks for its own code.
		m.QueueUser(account("entra-3", map[string]any{"email": "t@school.example", "amr": []string{"pwd"}, "groups": []string{"SG-Teachers", "SG-DSL"}}))
		if st, loc, _ := oidcSignIn(t, f.browser(), nil); st != http.StatusSeeOther || loc != "/totp" {
			t.Errorf("no mfa: %d %s, want /totp", st, loc)
		}
		// An expired token: the console's clock is past its expiry.
		m.AccessTTL = time.Minute
		m.QueueUser(account("entra-1", map[string]any{"email": "amy@school.example", "groups": []string{"SG-DSL"}}))
		b = f.browser()
		st, loc, _ = b.do("GET", "/login/oidc/school", nil)
		resp, err := b.hc.Get(loc)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		f.clk.Add(2 * time.Minute) // past the token's expiry, within the state's ten minutes
		if st, _, body := b.do("GET", back.RequestURI(), nil); st != http.StatusOK || !strings.Contains(body, "expired") {
			t.Errorf("expired: %d %s", st, body)
		}
	}
}
