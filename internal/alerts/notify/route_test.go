package notify

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/identity"
)

const routingPolicy = policyHead + `alerts:
  console_url: https://console.school.example
  smtp: {address: "127.0.0.1:2525", from: schoolgate@school.example, starttls: false}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, roles: [dsl], severities: [3, 4, 5], hours: "Mon-Fri 08:00-18:00"}
    - {name: Ben Cole, email: deputy@school.example, severities: [4, 5]}
    - {name: Cara Lee, email: ks1@school.example, severities: [2, 3, 4, 5], groups: [ks1]}
    - {name: Dev Patel, email: oncall@school.example, severities: [5], hours: "Mon-Fri 08:00-18:00", out_of_hours: true}
    - {name: Tech Team, email: tech@school.example, roles: [technical], severities: [3, 4, 5]}
`

// TestRoute: an alert goes at once to every contact whose severities
// include it and whose groups, roles and hours match; when none does, to
// every contact who takes the severity.
func TestRoute(t *testing.T) {
	d := newDispatcher(t, parsePolicy(t, routingPolicy), Options{})
	saturday10 := monday10.Add(5 * 24 * time.Hour)
	cases := []struct {
		name     string
		severity int
		group    string
		circ     bool
		at       time.Time
		want     string
	}{
		{"severity 3, in hours", 3, "ks2", false, monday10, "Amy Shah"},
		{"the key stage 1 lead for ks1", 3, "ks1", false, monday10, "Amy Shah, Cara Lee"},
		{"severity 4 adds the deputy", 4, "ks1", false, monday10, "Amy Shah, Ben Cole, Cara Lee"},
		{"severity 5 in hours", 5, "ks2", false, monday10, "Amy Shah, Ben Cole"},
		{"severity 5 at the weekend: out-of-hours contact, not the DSL", 5, "ks2", false, saturday10, "Ben Cole, Dev Patel"},
		{"evening is out of hours", 5, "ks2", false, monday10.Add(9 * time.Hour), "Ben Cole, Dev Patel"},
		{"circumvention reaches the technical role", 3, "ks2", true, monday10, "Amy Shah, Tech Team"},
		{"technical sees no other alert", 4, "staff", false, monday10, "Amy Shah, Ben Cole"},
		{"nobody matches: everyone taking severity 2", 2, "ks2", false, monday10, "Cara Lee"},
		{"nobody on duty: everyone taking severity 3", 3, "ks2", false, saturday10, "Amy Shah, Cara Lee"},
		{"no contact takes severity 1", 1, "ks2", false, monday10, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			contacts, _ := d.cur.Load().route(Alert{ID: 1, Severity: tc.severity, Group: tc.group, Circumvention: tc.circ}, tc.at)
			for _, ct := range contacts {
				names = append(names, ct.name)
			}
			if got := strings.Join(names, ", "); got != tc.want {
				t.Errorf("routed to %q, want %q", got, tc.want)
			}
		})
	}
}

// TestContactRoles: a contact whose roles may read no alert in the
// console is refused, as is an unknown role.
func TestContactRoles(t *testing.T) {
	for _, tc := range []struct{ roles, want string }{
		{"[teacher]", "may read no alert"},
		{"[governor, staff]", "may read no alert"},
		{"[wizard]", identity.ErrUnknownRole.Error()},
	} {
		c := parsePolicy(t, policyHead+"alerts:\n  smtp: {address: \"127.0.0.1:2525\", from: s@school.example, starttls: false}\n  contacts:\n    - {name: A, email: a@school.example, severities: [3], roles: "+tc.roles+"}\n")
		_, err := New(c, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "alerts.contacts[0].roles (line 9)") {
			t.Errorf("roles %s: error %v, want one naming alerts.contacts[0].roles (line 9) and %q", tc.roles, err, tc.want)
		}
	}
}

// TestSecretsRead: a password or secret the policy names must be there
// when the dispatcher starts.
func TestSecretsRead(t *testing.T) {
	c := parsePolicy(t, policyHead+`alerts:
  smtp: {address: "127.0.0.1:2525", from: s@school.example, username: sg, password_env: SG_PW}
  webhooks:
    - {name: teams, url: "http://127.0.0.1:9/hook", secret_file: teams.secret}
`)
	env := map[string]string{}
	opts := Options{Getenv: func(k string) string { return env[k] }}
	if _, err := New(c, opts); !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), "SG_PW") {
		t.Fatalf("unset password: %v", err)
	}
	env["SG_PW"] = "pw"
	if _, err := New(c, opts); !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), "teams.secret") {
		t.Fatalf("missing secret file: %v", err)
	}
	writeFile(t, c.Path("teams.secret"), "s3cret\n")
	d, err := New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if r := d.cur.Load(); string(r.hooks["teams"].secret) != "s3cret" || r.mailer.password != "pw" {
		t.Errorf("secret %q, password %q", r.hooks["teams"].secret, r.mailer.password)
	}
}

// TestHooksFor: webhooks by their own severities and groups, and the
// webhook a routed contact names, each once.
func TestHooksFor(t *testing.T) {
	c := parsePolicy(t, policyHead+`alerts:
  webhooks:
    - {name: teams, url: "http://127.0.0.1:9/a", secret_env: S, severities: [4, 5]}
    - {name: records, url: "http://127.0.0.1:9/b", secret_env: S, groups: [ks1]}
    - {name: amy-phone, url: "http://127.0.0.1:9/c", secret_env: S, severities: [5]}
  contacts:
    - {name: Amy, webhook: amy-phone, severities: [3, 4, 5]}
`)
	d := newDispatcher(t, c, Options{Getenv: func(string) string { return "k" }})
	for _, tc := range []struct {
		sev   int
		group string
		want  []string
	}{
		{3, "ks2", []string{"amy-phone"}},
		{3, "ks1", []string{"records", "amy-phone"}},
		{4, "ks2", []string{"teams", "amy-phone"}},
		{5, "ks1", []string{"teams", "records", "amy-phone"}},
		{1, "ks2", nil},
	} {
		a := Alert{Severity: tc.sev, Group: tc.group}
		var got []string
		r := d.cur.Load()
		contacts, _ := r.route(a, monday10)
		for _, w := range r.hooksFor(a, contacts) {
			got = append(got, w.name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("severity %d %s: %v, want %v", tc.sev, tc.group, got, tc.want)
		}
	}
}

// TestApply: a reloaded policy's contacts are in force for the next
// alert; one whose secret cannot be read leaves the old ones in force.
func TestApply(t *testing.T) {
	d := newDispatcher(t, parsePolicy(t, routingPolicy), Options{})
	names := func() string {
		contacts, _ := d.cur.Load().route(Alert{Severity: 4, Group: "ks2"}, monday10)
		var n []string
		for _, ct := range contacts {
			n = append(n, ct.name)
		}
		return strings.Join(n, ", ")
	}
	if got := names(); got != "Amy Shah, Ben Cole" {
		t.Fatalf("before: %s", got)
	}
	next := parsePolicy(t, policyHead+"alerts:\n  smtp: {address: \"127.0.0.1:2525\", from: s@school.example, starttls: false}\n  contacts:\n    - {name: Eve Hart, email: new-dsl@school.example, severities: [4]}\n")
	if err := d.Apply(next); err != nil {
		t.Fatal(err)
	}
	if got := names(); got != "Eve Hart" {
		t.Errorf("after reload: %s", got)
	}
	bad := parsePolicy(t, policyHead+"alerts:\n  webhooks:\n    - {name: teams, url: \"http://127.0.0.1:9/\", secret_env: SG_UNSET_SECRET}\n")
	if err := d.Apply(bad); !errors.Is(err, ErrSecret) {
		t.Errorf("apply with an unreadable secret: %v", err)
	}
	if got := names(); got != "Eve Hart" {
		t.Errorf("after a refused reload: %s", got)
	}
}
