package notify

import (
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestEmail: over STARTTLS (the default) and signed in (mailpit takes
// nothing else), one plain-text
// message per contact, that contact alone in To:, with proper headers,
// the severity, title, group, time and console link, and nothing that
// names the school's site, a child, a term or a site visited.
func TestEmail(t *testing.T) {
	mp := startMailpit(t, true)
	c := parsePolicy(t, policyHead+`alerts:
  console_url: https://console.school.example:8443/
  smtp: {address: "`+mp.smtp+`", from: "Schoolgate <schoolgate@school.example>", username: schoolgate, password_env: SG_SMTP_PASSWORD}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, severities: [3, 4, 5]}
    - {name: Ben Cole, email: deputy@school.example, severities: [4, 5]}
    - {name: Cara Lee, email: ks1@school.example, severities: [4, 5], groups: [ks1]}
`)
	reg := prometheus.NewRegistry()
	audit := &auditLog{}
	clock := &fakeClock{t: monday10}
	d := newDispatcher(t, c, Options{Now: clock.Now, Audit: audit.hook, Registerer: reg, TLS: mp.tlsConfig(),
		Getenv: func(k string) string { return map[string]string{"SG_SMTP_PASSWORD": mailpitPassword}[k] }})

	// What the engine knows and must not reach an e-mail: it is not even
	// in the Alert, except the site, which is checked for below.
	d.Raised(context.Background(), Alert{ID: 42, Site: "greenfield-primary", Severity: 4, Rule: "self-harm-searches",
		Title: "Self-harm searches", Group: "ks2", At: monday10.Add(-2 * 60e9)})

	msgs := mp.waitMessages(t, 2)
	if got := audit.wait(t, 2); strings.Join(got, "|") != "alert.notify.sent 42 email:deputy@school.example|alert.notify.sent 42 email:dsl@school.example" {
		t.Errorf("audit = %q", got)
	}
	if v := counter(t, d.metrics.sent.WithLabelValues("email")); v != 2 {
		t.Errorf("sent metric = %v", v)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if len(m.To) != 1 {
			t.Fatalf("To: %+v, want one contact", m.To)
		}
		to := m.To[0]
		seen[to.Address] = true
		for _, h := range []string{"Date", "Message-Id", "From", "To", "Subject", "Mime-Version", "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted"} {
			if len(m.Headers[h]) != 1 {
				t.Errorf("%s: header %s = %q, want one", to.Address, h, m.Headers[h])
			}
		}
		if got, want := m.Headers["To"][0], (&mail.Address{Name: to.Name, Address: to.Address}).String(); got != want {
			t.Errorf("To = %q, want %q", got, want)
		}
		if m.From.Address != "schoolgate@school.example" || m.Headers["Date"][0] != "Mon, 30 Nov 2026 10:00:00 +0000" ||
			m.Headers["Content-Type"][0] != "text/plain; charset=utf-8" || !strings.HasPrefix(m.Headers["Message-Id"][0], "<alert-42-0-") {
			t.Errorf("headers %v", m.Headers)
		}
		if m.Subject != "Schoolgate alert: severity 4: Self-harm searches" {
			t.Errorf("Subject = %q", m.Subject)
		}
		want := "Schoolgate has raised an alert.\r\n\r\n" +
			"Alert:     Self-harm searches\r\n" +
			"Severity:  4 of 5 (high)\r\n" +
			"Group:     ks2\r\n" +
			"Raised:    Mon 30 Nov 2026 09:58 GMT\r\n\r\n" +
			"Open it in the console to see who and what, and to acknowledge it:\r\n" +
			"https://console.school.example:8443/alerts/42\r\n\r\n" +
			"This message names no one and shows no search or site: those are in the console,\r\n" +
			"for the people who may read them.\r\n"
		if strings.ReplaceAll(m.Text, "\r\n", "\n") != strings.ReplaceAll(want, "\r\n", "\n") {
			t.Errorf("%s: body\n%s\nwant\n%s", to.Address, m.Text, want)
		}
		for _, leak := range []string{"greenfield-primary", "greenfield", "Bcc", "Cc:"} {
			if strings.Contains(m.Raw, leak) {
				t.Errorf("%s: the message carries %q:\n%s", to.Address, leak, m.Raw)
			}
		}
		for other := range map[string]bool{"dsl@school.example": true, "deputy@school.example": true, "ks1@school.example": true} {
			if other != to.Address && strings.Contains(m.Raw, other) {
				t.Errorf("%s: the message names another contact %s", to.Address, other)
			}
		}
	}
	if !seen["dsl@school.example"] || !seen["deputy@school.example"] {
		t.Errorf("recipients %v", seen)
	}
}

// TestStartTLSDefault: with starttls left out, a server that does not
// offer it is refused before anything is sent; starttls: false sends.
func TestStartTLSDefault(t *testing.T) {
	mp := startMailpit(t, false)
	for _, tc := range []struct {
		starttls string
		want     int
	}{{"", 0}, {", starttls: false", 1}} {
		c := parsePolicy(t, policyHead+"alerts:\n  smtp: {address: \""+mp.smtp+"\", from: s@school.example"+tc.starttls+"}\n  contacts:\n    - {name: Amy Shah, email: dsl@school.example, severities: [4]}\n")
		audit := &auditLog{}
		d := newDispatcher(t, c, Options{Now: (&fakeClock{t: monday10}).Now, Audit: audit.hook})
		d.Raised(context.Background(), Alert{ID: 7, Severity: 4, Title: "Self-harm searches", At: monday10})
		got := audit.wait(t, 1)
		if tc.want == 0 {
			if got[0] != "alert.notify.failed 7 email:dsl@school.example" {
				t.Errorf("audit %q, want a failure", got)
			}
			if v := counter(t, d.metrics.failed.WithLabelValues("email")); v != 1 {
				t.Errorf("failed metric = %v", v)
			}
			if n := len(mp.messages(t)); n != 0 {
				t.Fatalf("sent %d messages without STARTTLS", n)
			}
			continue
		}
		if got[0] != "alert.notify.sent 7 email:dsl@school.example" {
			t.Errorf("audit %q", got)
		}
		mp.waitMessages(t, 1)
	}

	// The mailer itself refuses the missing extension and plain-text
	// credentials, whatever the policy's validation let through.
	c := parsePolicy(t, policyHead+"alerts:\n  smtp: {address: \""+mp.smtp+"\", from: s@school.example}\n")
	m, err := newMailer(c, c.Alerts.SMTP, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.send(context.Background(), []byte("Subject: x\r\n\r\nx\r\n"), "a@school.example"); !errors.Is(err, ErrNoStartTLS) {
		t.Errorf("send without STARTTLS offered: %v", err)
	}
	m.starttls, m.username, m.password = false, "sg", "pw"
	if err := m.send(context.Background(), []byte("Subject: x\r\n\r\nx\r\n"), "a@school.example"); !errors.Is(err, ErrPlainCredentials) {
		t.Errorf("credentials over plain text: %v", err)
	}
	if n := len(mp.messages(t)); n != 1 {
		t.Errorf("mailpit holds %d messages, want the one sent with starttls: false", n)
	}
}

// TestSubjectCannotForgeHeaders: a title with line breaks stays on the
// Subject line.
func TestSubjectCannotForgeHeaders(t *testing.T) {
	c := parsePolicy(t, policyHead+"alerts:\n  smtp: {address: \"127.0.0.1:2525\", from: s@school.example, starttls: false}\n  contacts:\n    - {name: Amy Shah, email: dsl@school.example, severities: [4]}\n")
	d := newDispatcher(t, c, Options{Now: (&fakeClock{t: monday10}).Now})
	r := d.cur.Load()
	msg := string(r.message(Alert{ID: 1, Severity: 4, Title: "Gambling\r\nBcc: everyone@example.com", Group: "ks2\nX-Evil: 1", At: monday10}, 0, r.contacts[0], monday10))
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(l, "Bcc") || strings.HasPrefix(l, "X-Evil") {
			t.Errorf("forged header line %q in\n%s", l, head)
		}
	}
}

// TestEmailWrongPassword: a password the server refuses fails the
// notification (audited and counted), and nothing is delivered.
func TestEmailWrongPassword(t *testing.T) {
	mp := startMailpit(t, true)
	c := parsePolicy(t, policyHead+`alerts:
  smtp: {address: "`+mp.smtp+`", from: schoolgate@school.example, username: schoolgate, password_file: smtp.password}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, severities: [4]}
`)
	writeFile(t, c.Path("smtp.password"), "wrong\n")
	audit := &auditLog{}
	d := newDispatcher(t, c, Options{Now: (&fakeClock{t: monday10}).Now, Audit: audit.hook, TLS: mp.tlsConfig()})
	d.Raised(context.Background(), Alert{ID: 8, Severity: 4, Title: "Self-harm searches", At: monday10})
	if got := audit.wait(t, 1); got[0] != "alert.notify.failed 8 email:dsl@school.example" {
		t.Errorf("audit %q", got)
	}
	if n := len(mp.messages(t)); n != 0 {
		t.Errorf("mailpit took %d messages with a wrong password", n)
	}
	if v := counter(t, d.metrics.failed.WithLabelValues("email")); v != 1 {
		t.Errorf("failed metric %v", v)
	}
}

// TestEmailBeforeStored: an alert raised while the database does not
// answer (no id yet) says so and links to the alerts list.
func TestEmailBeforeStored(t *testing.T) {
	c := parsePolicy(t, policyHead+"alerts:\n  smtp: {address: \"127.0.0.1:2525\", from: s@school.example, starttls: false}\n  contacts:\n    - {name: Amy Shah, email: dsl@school.example, severities: [4]}\n")
	d := newDispatcher(t, c, Options{Now: (&fakeClock{t: monday10}).Now})
	r := d.cur.Load()
	msg := string(r.message(Alert{Severity: 4, Title: "Gambling", At: monday10}, 0, r.contacts[0], monday10))
	var body strings.Builder
	qp := quotedprintable.NewReader(strings.NewReader(msg[strings.Index(msg, "\r\n\r\n")+4:]))
	if _, err := io.Copy(&body, qp); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(body.String(), "\r\n", "\n")
	if !strings.Contains(text, "cannot reach its database") || !strings.Contains(text, "/alerts\n") || strings.Contains(text, "/alerts/0") {
		t.Errorf("the message of an alert not stored yet:\n%s", text)
	}
}
