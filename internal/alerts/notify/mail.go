package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"schoolgate/internal/config"
)

// mailer sends one message at a time through alerts.smtp.
type mailer struct {
	addr, host string
	from       *mail.Address
	starttls   bool
	username   string
	password   string
	timeout    time.Duration
	tls        *tls.Config
}

func newMailer(c *config.Config, s *config.AlertSMTP, opts Options) (*mailer, error) {
	host, _, err := net.SplitHostPort(s.Address)
	if err != nil {
		return nil, fmt.Errorf("alerts.smtp.address (line %d): %w", s.Line, err)
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return nil, fmt.Errorf("alerts.smtp.from (line %d): %w", s.Line, err)
	}
	m := &mailer{addr: s.Address, host: host, from: from, starttls: s.TLS(), username: s.Username, timeout: s.Timeout.D()}
	if m.timeout <= 0 {
		m.timeout = 30 * time.Second
	}
	if s.Username != "" {
		if m.password, err = readSecret(c, opts, s.PasswordEnv, s.PasswordFile); err != nil {
			return nil, fmt.Errorf("alerts.smtp password (line %d): %w", s.Line, err)
		}
	}
	m.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.TLS != nil {
		m.tls = opts.TLS.Clone()
	}
	if m.tls.ServerName == "" {
		m.tls.ServerName = host
	}
	return m, nil
}

// send delivers msg to the one recipient. With starttls (the default) a
// server that does not offer it is refused before anything is sent, and
// credentials never cross a plain connection.
func (m *mailer) send(ctx context.Context, msg []byte, to string) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := c.Hello(helloName(m.from.Address)); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if m.starttls {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: %w (set starttls: false only for a server on this machine)", m.addr, ErrNoStartTLS)
		}
		if err := c.StartTLS(m.tls); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if m.username != "" {
		if _, isTLS := c.TLSConnectionState(); !isTLS {
			return fmt.Errorf("smtp %s: %w", m.addr, ErrPlainCredentials)
		}
		if err := c.Auth(smtp.PlainAuth("", m.username, m.password, m.host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	_ = c.Quit() // the server has taken the message: a lost goodbye is no failure
	return nil
}

// helloName is the name given in EHLO: the sender's domain.
func helloName(from string) string {
	if _, domain, ok := strings.Cut(from, "@"); ok && domain != "" {
		return domain
	}
	return "localhost"
}

// message is the plain-text e-mail about the alert for one contact:
// severity, the rule's title, the group, the time and the console link,
// and nothing else (no name, no term, no site visited).
func (r *routes) message(a Alert, step int, ct *contact, at time.Time) []byte {
	title, group := clean(a.Title), clean(a.Group)
	if title == "" {
		title = clean(a.Rule)
	}
	subject := fmt.Sprintf("Schoolgate alert: severity %d: %s", a.Severity, title)
	if step > 0 {
		subject = fmt.Sprintf("Schoolgate alert not acknowledged: severity %d: %s", a.Severity, title)
	}
	now := at.In(r.loc)
	var h bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&h, "%s: %s\r\n", k, v) }
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<alert-%d-%d-%s@%s>", a.ID, step, randomHex(8), helloName(r.mailer.from.Address)))
	header("From", r.mailer.from.String())
	header("To", (&mail.Address{Name: ct.name, Address: ct.email}).String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	h.WriteString("\r\n")

	var body strings.Builder
	switch {
	case step > 0:
		fmt.Fprintf(&body, "This alert has not been acknowledged. You are escalation contact %d.\n\n", step)
	case a.ID == 0:
		body.WriteString("Schoolgate has raised an alert while it cannot reach its database. It is kept,\nand will be in the console's alerts list once the database answers again.\n\n")
	default:
		body.WriteString("Schoolgate has raised an alert.\n\n")
	}
	fmt.Fprintf(&body, "Alert:     %s\n", title)
	fmt.Fprintf(&body, "Severity:  %d of 5 (%s)\n", a.Severity, severityWord(a.Severity))
	if group != "" {
		fmt.Fprintf(&body, "Group:     %s\n", group)
	}
	fmt.Fprintf(&body, "Raised:    %s\n", a.At.In(r.loc).Format("Mon 2 Jan 2006 15:04 MST"))
	fmt.Fprintf(&body, "\nOpen it in the console to see who and what, and to acknowledge it:\n%s\n", r.link(a.ID))
	body.WriteString("\nThis message names no one and shows no search or site: those are in the console,\nfor the people who may read them.\n")

	qp := quotedprintable.NewWriter(&h)
	_, _ = qp.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n")))
	_ = qp.Close()
	return h.Bytes()
}

func severityWord(s int) string {
	switch s {
	case 1:
		return "advisory"
	case 2:
		return "low"
	case 3:
		return "medium"
	case 4:
		return "high"
	case 5:
		return "immediate risk"
	}
	return "unknown"
}

// clean keeps a policy-given text to one printable line: no header can be
// forged through a rule's title.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }), " ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
