package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// oidcAccount is an account at the test's OpenID provider with the
// claims a case needs.
type oidcAccount struct {
	sub    string
	claims map[string]any
}

func (a *oidcAccount) ID() string { return a.sub }
func (a *oidcAccount) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": a.sub})
}
func (a *oidcAccount) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return oidcClaims{base, a.claims}, nil
}

// oidcClaims signs the provider's standard claims plus the account's.
type oidcClaims struct {
	*mockoidc.IDTokenClaims
	extra map[string]any
}

func (c oidcClaims) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(c.IDTokenClaims)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	for k, v := range c.extra {
		out[k] = v
	}
	return json.Marshal(out)
}

// TestOIDCChromium: the console's OpenID Connect sign-in with the real
// binary, a real provider on loopback and headless Chromium following the
// redirects. The sign-in page shows the provider's button; a group claim
// maps to dsl and amr with mfa lands on the dashboard; amr without mfa
// lands on the console's own code page; a person not in the directory, an
// ID token for another sign-in (nonce), an expired one, an address outside
// allowed_domains and a tampered state on the way back are refused, each
// with its reason on the page and no session cookie.
func TestOIDCChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	op, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { op.Shutdown() })
	cfg := op.Config()
	in, base := identityStart(t, `identity:
  oidc:
    - name: school
      title: Sign in with School ID
      issuer: `+cfg.Issuer+`
      client_id: `+cfg.ClientID+`
      client_secret_env: SG_E2E_OIDC_SECRET
      allowed_domains: [school.example]
      roles_from_groups: {"SG-DSL": dsl, "SG-Teachers": teacher}
`, "SG_E2E_OIDC_SECRET="+cfg.ClientSecret)
	in.cli(t, "", "users", "add", "mrsjones", "--name", "Mrs Jones", "--role", "teacher", "--email", "jones@school.example", "--by", "office")
	in.cli(t, "", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--by", "office")
	account := func(sub string, claims map[string]any) *oidcAccount {
		all := map[string]any{"email_verified": true, "amr": []string{"pwd", "mfa"}}
		for k, v := range claims {
			all[k] = v
		}
		return &oidcAccount{sub: sub, claims: all}
	}
	jones := func(amr ...string) *oidcAccount {
		return account("entra-jones", map[string]any{"email": "jones@school.example", "preferred_username": "mrsjones",
			"groups": []string{"SG-DSL", "Other"}, "amr": amr})
	}

	// signIn clicks the provider's button on a fresh browser's sign-in
	// page: to the provider and straight back to the callback.
	signIn := func(name string, acct *oidcAccount, wait chromedp.Action[chromedp.Void]) *consoleBrowser {
		t.Helper()
		op.QueueUser(acct)
		b := newConsoleBrowser(t, chromium, in)
		b.step(name, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("oidc-school")),
			chromedp.Click(chromedp.ID("oidc-school")), wait)
		return b
	}
	// sessionCookie reports whether the browser holds a console session
	// cookie for the console.
	sessionCookie := func(b *consoleBrowser) bool {
		t.Helper()
		var names []string
		b.step("read cookies", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
			for _, c := range res.Cookies {
				names = append(names, c.Name)
			}
			return err
		}))
		return slices.Contains(names, "schoolgate-console") || slices.Contains(names, "__Host-schoolgate-console")
	}
	noSession := func(what string, b *consoleBrowser) {
		t.Helper()
		if sessionCookie(b) {
			t.Errorf("%s: a refused sign-in was given a console session cookie", what)
		}
	}
	path := func(b *consoleBrowser) string {
		t.Helper()
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		return u.Path
	}

	// The sign-in page: the password form and the provider's button.
	b := newConsoleBrowser(t, chromium, in)
	b.step("sign-in page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("oidc-school")))
	if got := b.text("#oidc-school"); got != "Sign in with School ID" {
		t.Fatalf("the provider's button says %q", got)
	}
	b.shot("console-login-oidc.png")

	// A group claim mapped to dsl and a provider that did MFA: straight to
	// the dashboard, no code asked.
	b = signIn("sign in with mfa", jones("pwd", "mfa"), chromedp.WaitNotPresent(chromedp.ID("oidc-school")))
	b.step("dashboard", chromedp.WaitVisible(chromedp.CSS("main")))
	if p := path(b); p != "/" {
		t.Fatalf("after signing in with mfa: %s, want the dashboard\n%s", p, b.text("main"))
	}
	if !sessionCookie(b) {
		t.Error("signed in with mfa but no console session cookie")
	}
	if main := b.text("main"); !strings.Contains(main, "Concerns") {
		t.Errorf("the dashboard shows no safeguarding tile to a dsl:\n%s", main)
	}
	var shown struct{ Roles []string }
	if err := json.Unmarshal([]byte(in.cli(t, "", "users", "show", "mrsjones", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if strings.Join(shown.Roles, ",") != "dsl" {
		t.Errorf("roles from the group claim: %v, want dsl", shown.Roles)
	}

	// amr without mfa: the console asks for its own second factor.
	b = signIn("sign in without mfa", jones("pwd"), chromedp.WaitVisible(chromedp.ID("code")))
	if p := path(b); !strings.HasPrefix(p, "/totp") {
		t.Errorf("after signing in without mfa: %s, want the code page (/totp)", p)
	}

	// A person the directory does not know.
	b = signIn("stranger", account("entra-stranger", map[string]any{"email": "stranger@school.example", "preferred_username": "stranger"}),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	if msg := b.text("#login-error"); !strings.Contains(msg, "not in the school's directory") {
		t.Errorf("stranger: %q", msg)
	}
	noSession("stranger", b)

	// The provider's ID token is checked whole: one for another sign-in
	// (its nonce), one already expired, and an address outside
	// allowed_domains are refused with the reason on the sign-in page,
	// and no session begins.
	for _, c := range []struct {
		name, want string
		claims     map[string]any
	}{
		{"wrong nonce", "not issued for this sign-in (nonce)", map[string]any{"nonce": "a-nonce-from-another-sign-in"}},
		{"expired token", "ID token is not valid (expired)", map[string]any{
			"exp": time.Now().Add(-10 * time.Minute).Unix(), "iat": time.Now().Add(-70 * time.Minute).Unix()}},
		{"outside allowed_domains", "not in the school's domains", map[string]any{"email": "jones@elsewhere.example"}},
	} {
		acct := jones("pwd", "mfa")
		for k, v := range c.claims {
			acct.claims[k] = v
		}
		b := signIn(c.name, acct, chromedp.WaitVisible(chromedp.ID("login-error")))
		if msg := b.text("#login-error"); !strings.Contains(msg, "Sign-in refused") || !strings.Contains(msg, c.want) {
			t.Errorf("%s: the page says %q, want %q", c.name, msg, c.want)
		}
		if p := path(b); p == "/" || strings.HasPrefix(p, "/totp") {
			t.Errorf("%s: landed on %s", c.name, p)
		}
		noSession(c.name, b)
	}

	// A tampered state: the browser's way back from the provider is held
	// (the callback request paused and failed, its code unused), then
	// followed with a changed state.
	op.QueueUser(jones("pwd", "mfa"))
	b = newConsoleBrowser(t, chromium, in)
	paused := make(chan *fetch.EventRequestPaused, 4)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	b.step("hold the callback", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("oidc-school")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: base + "/login/oidc/school/callback?*"}}})
			return err
		}),
		chromedp.Click(chromedp.ID("oidc-school")))
	var held *fetch.EventRequestPaused
	select {
	case held = <-paused:
	case <-time.After(20 * time.Second):
		t.Fatalf("the provider's redirect to the callback never came\n%s", in.logText())
	}
	b.step("fail the callback", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, fetch.FailRequest, fetch.FailRequestParams{RequestID: held.RequestID, ErrorReason: network.ErrorReasonBlockedByClient}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, fetch.Disable, cdp.Empty{})
		return err
	}))
	back, err := url.Parse(held.Request.URL)
	if err != nil || back.Query().Get("code") == "" || back.Query().Get("state") == "" {
		t.Fatalf("callback %q: %v", held.Request.URL, err)
	}
	q := back.Query()
	q.Set("state", "forged-"+q.Get("state"))
	back.RawQuery = q.Encode()
	b.step("tampered state", chromedp.Navigate(back.String()), chromedp.WaitVisible(chromedp.ID("login-error")))
	if msg := b.text("#login-error"); !strings.Contains(msg, "could not be matched") {
		t.Errorf("tampered state: %q", msg)
	}
	if p := path(b); p == "/" {
		t.Error("a tampered state signed in")
	}
	noSession("tampered state", b)
	// Every refusal is in the audit log with its reason.
	fails := in.cli(t, "", "audit", "list", "--action", "console.signin.fail", "--by", "e2e")
	for _, why := range []string{"not in the school's directory", "could not be matched", "(nonce)", "(expired)", "not in the school's domains"} {
		if !strings.Contains(fails, why) {
			t.Errorf("no audited refusal %q:\n%s", why, fails)
		}
	}
	if signins := in.cli(t, "", "audit", "list", "--action", "console.signin", "--by", "e2e"); strings.Count(signins, "user:mrsjones") != 2 {
		t.Errorf("want two audited sign-ins of mrsjones:\n%s", signins)
	}
}
