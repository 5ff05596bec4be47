package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/starter"
)

// issueExample is the issue's own example of an alerts section (its
// keywords and rules are the rule engine's part): it must validate as
// written.
const issueExample = `alerts:
  smtp: {address: "127.0.0.1:2525", from: "schoolgate@school.example", starttls: false}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, severities: [3, 4, 5]}
    - {name: Ben Cole, email: deputy@school.example, severities: [4, 5]}
`

func TestAlertDeliveryIssueExample(t *testing.T) {
	c, err := parse(t, "groups:\n  pupils: {}\n"+issueExample)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Alerts
	if a.SMTP == nil || a.SMTP.Address != "127.0.0.1:2525" || a.SMTP.TLS() || a.SMTP.Timeout.D() != 30*time.Second {
		t.Errorf("smtp = %+v", a.SMTP)
	}
	if len(a.Contacts) != 2 || a.Contacts[1].Name != "Ben Cole" || a.Contacts[1].Line != 7 || len(a.Contacts[0].Severities) != 3 {
		t.Errorf("contacts = %+v", a.Contacts)
	}
}

func TestAlertDeliveryFull(t *testing.T) {
	c, err := parse(t, `groups:
  ks1: {}
  sixth-form: {}
schedules:
  evenings: [{days: [mon, tue, wed, thu, fri], from: "18:00", to: "08:00"}]
alerts:
  console_url: https://console.school.example:8443
  smtp:
    address: smtp.school.example:587
    from: Schoolgate <schoolgate@school.example>
    username: schoolgate
    password_env: SMTP_PASSWORD
    timeout: 10s
  webhooks:
    - {name: teams, url: "https://hooks.example/x", secret_file: /etc/schoolgate/teams.secret, severities: [4, 5]}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, roles: [dsl], severities: [3, 4, 5], hours: "Mon-Fri 08:00-18:00", escalation: true}
    - {name: KS1 lead, email: ks1@school.example, severities: [2, 3, 4, 5], groups: [ks1]}
    - {name: On call, email: oncall@school.example, severities: [5], hours: evenings, escalation: true, webhook: teams}
    - {name: Head, email: head@school.example, hours: "Mon-Fri 08:00-18:00", out_of_hours: true, escalation: true}
`)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Alerts
	if !a.SMTP.TLS() || a.SMTP.Timeout.D() != 10*time.Second || a.SMTP.PasswordEnv != "SMTP_PASSWORD" {
		t.Errorf("smtp = %+v", a.SMTP)
	}
	if w := a.Webhooks[0]; w.Name != "teams" || w.SecretFile == "" || len(w.Severities) != 2 {
		t.Errorf("webhook = %+v", w)
	}
	if ct := a.Contacts[3]; !ct.OutOfHours || !ct.Escalation || ct.Severities != nil {
		t.Errorf("head = %+v", ct)
	}
}

func TestAlertDeliveryErrors(t *testing.T) {
	const head = "groups:\n  pupils: {}\nalerts:\n"
	const smtp = "  smtp: {address: \"127.0.0.1:25\", from: a@b.example}\n"
	cases := []struct{ name, text, want string }{
		{"unknown contact key", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severity: [3]}\n",
			"policy.yaml:6: alerts.contacts[0].severity: unknown field (known: name, email, roles, severities, groups, hours, out_of_hours, escalation, webhook)"},
		{"bad smtp address", head + "  smtp: {address: smtp.example, from: a@b.example}\n", `alerts: smtp.address (line 4): "smtp.example": want host:port`},
		{"bad from", head + "  smtp: {address: \"h:25\", from: nobody}\n", `smtp.from (line 4): "nobody": want an address`},
		{"password in plain text", head + "  smtp: {address: \"h:25\", from: a@b.example, starttls: false, username: u, password_env: P}\n",
			"smtp.starttls (line 4): false with a username would send the password in plain text"},
		{"username without password", head + "  smtp: {address: \"h:25\", from: a@b.example, username: u}\n", "smtp.username (line 4): give the password in exactly one of"},
		{"both passwords", head + "  smtp: {address: \"h:25\", from: a@b.example, username: u, password_env: P, password_file: f}\n", "exactly one of password_env or password_file"},
		{"bad env name", head + "  smtp: {address: \"h:25\", from: a@b.example, username: u, password_env: \"A B\"}\n", `smtp.password_env (line 4): "A B" is not an environment variable name`},
		{"password without username", head + "  smtp: {address: \"h:25\", from: a@b.example, password_file: f}\n", "smtp.username (line 4): a password is given without a username"},
		{"short timeout", head + "  smtp: {address: \"h:25\", from: a@b.example, timeout: 1ms}\n", "smtp.timeout (line 4): 1ms: between 1s and 10m"},
		{"no name", head + smtp + "  contacts:\n    - {email: a@b.example, severities: [3]}\n", "contacts[0].name (line 6): missing"},
		{"nowhere to send", head + smtp + "  contacts:\n    - {name: A, severities: [3]}\n", "contacts[0] (line 6): give an email, a webhook or both"},
		{"bad email", head + smtp + "  contacts:\n    - {name: A, email: \"A <a@b.example>\", severities: [3]}\n", "contacts[0].email (line 6): \"A <a@b.example>\": want a bare address"},
		{"email without smtp", head + "  contacts:\n    - {name: A, email: a@b.example, severities: [3]}\n", "contacts[0].email (line 5): no alerts.smtp to send it through"},
		{"email twice", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3]}\n    - {name: B, email: a@b.example, severities: [4]}\n", "contacts[1].email (line 7): \"a@b.example\" is given twice"},
		{"severity 6", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3, 6]}\n", "contacts[0].severities (line 6): 6 is not a severity"},
		{"severity twice", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3, 3]}\n", "contacts[0].severities (line 6): 3 is given twice"},
		{"never told", head + smtp + "  contacts:\n    - {name: A, email: a@b.example}\n", "contacts[0].severities (line 6): none given and not an escalation contact"},
		{"unknown group", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3], groups: [ks9]}\n", `contacts[0].groups (line 6): unknown group "ks9" (groups: pupils)`},
		{"bad hours", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3], hours: weekdays}\n", `contacts[0].hours (line 6): "weekdays": want a schedule's name or days and times`},
		{"bad day", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3], hours: \"Mon-Fry 08:00-18:00\"}\n", `contacts[0].hours (line 6): unknown day "fry"`},
		{"bad time", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3], hours: \"Mon 08:00-25:00\"}\n", `contacts[0].hours (line 6): bad time of day "25:00"`},
		{"out of hours without hours", head + smtp + "  contacts:\n    - {name: A, email: a@b.example, severities: [3], out_of_hours: true}\n", "contacts[0].out_of_hours (line 6): needs hours"},
		{"unknown webhook", head + smtp + "  contacts:\n    - {name: A, webhook: teams, severities: [3]}\n", `contacts[0].webhook (line 6): "teams" is not in alerts.webhooks`},
		{"webhook without secret", head + "  webhooks:\n    - {name: teams, url: \"https://h.example/x\"}\n", "webhooks[0] (line 5): give the signing secret in exactly one of secret_env or secret_file"},
		{"webhook bad url", head + "  webhooks:\n    - {name: teams, url: \"ftp://h.example/x\", secret_env: S}\n", `webhooks[0].url (line 5): "ftp://h.example/x": want an http or https address`},
		{"webhook bad name", head + "  webhooks:\n    - {name: Teams Channel, url: \"https://h.example/x\", secret_env: S}\n", `webhooks[0].name (line 5): "Teams Channel"`},
		{"webhook twice", head + "  webhooks:\n    - {name: t, url: \"https://h.example/x\", secret_env: S}\n    - {name: t, url: \"https://h.example/y\", secret_env: S}\n", `webhooks[1].name (line 6): "t" is given twice`},
		{"bad console url", head + "  console_url: console.school.example\n", `alerts: console_url "console.school.example": want the console's address`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.text)
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.text)
			}
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "policy.yaml") {
				t.Errorf("%v does not wrap ErrInvalid or name the file", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestContactHours(t *testing.T) {
	c := &Config{Schedules: map[string][]Window{"nights": {{Days: []string{"fri"}, From: "22:00", To: "06:00"}}}}
	// 2026-11-30 is a Monday.
	at := func(day int, hm string) time.Time {
		m, _ := clockMinutes(hm)
		return time.Date(2026, 11, 30+day, m/60, m%60, 0, 0, time.UTC)
	}
	cases := []struct {
		hours string
		t     time.Time
		want  bool
	}{
		{"Mon-Fri 08:00-18:00", at(0, "08:00"), true},
		{"Mon-Fri 08:00-18:00", at(0, "07:59"), false},
		{"Mon-Fri 08:00-18:00", at(4, "17:59"), true},
		{"Mon-Fri 08:00-18:00", at(4, "18:00"), false},
		{"Mon-Fri 08:00-18:00", at(5, "12:00"), false},
		{"sat,sun 00:00-24:00", at(6, "23:59"), true},
		{"sat,sun 00:00-24:00", at(0, "00:00"), false},
		{"Fri-Mon 09:00-10:00", at(6, "09:30"), true}, // a range round the weekend
		{"Fri-Mon 09:00-10:00", at(1, "09:30"), false},
		{"Mon 09:00-10:00; Wed 14:00-15:00", at(2, "14:30"), true},
		{"nights", at(4, "23:00"), true},
		{"nights", at(5, "05:59"), true}, // Saturday morning is Friday night's
		{"nights", at(5, "06:00"), false},
		{"nights", at(3, "23:00"), false},
	}
	for _, tc := range cases {
		ws, err := c.ContactHours(tc.hours)
		if err != nil {
			t.Fatalf("%s: %v", tc.hours, err)
		}
		if got := InHours(ws, tc.t); got != tc.want {
			t.Errorf("%s at %s = %v, want %v", tc.hours, tc.t.Format("Mon 15:04"), got, tc.want)
		}
	}
}

// TestStarterDeliveryExample: the starter policy's commented delivery
// example validates once uncommented.
func TestStarterDeliveryExample(t *testing.T) {
	_, rest, ok := strings.Cut(string(starter.Policy), "# Who is told of alerts")
	if !ok {
		t.Fatal("the starter policy has no alert delivery example")
	}
	var b strings.Builder
	b.WriteString("alerts:\n")
	for _, l := range strings.Split(rest, "\n")[1:] {
		if body, ok := strings.CutPrefix(l, "#   "); ok {
			b.WriteString("  " + body + "\n")
		}
	}
	c, err := parse(t, b.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(c.Alerts.Contacts) != 3 || c.Alerts.SMTP == nil || !c.Alerts.SMTP.TLS() {
		t.Errorf("alerts = %+v", c.Alerts)
	}
}
