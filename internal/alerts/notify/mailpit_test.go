package notify

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"schoolgate/internal/ca"
)

// mailpit is a real SMTP server (github.com/axllent/mailpit, installed by
// scripts/test.sh) on loopback, read back through its HTTP API.
type mailpit struct {
	smtp, api string
	roots     *x509.CertPool // the CA its STARTTLS certificate is from (tls only)
}

// mailpitBinary finds mailpit on PATH or in GOPATH/bin; without it the
// test is skipped, except under CI, where it fails.
func mailpitBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "mailpit")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	const install = "go install github.com/axllent/mailpit@v1.33.1"
	if os.Getenv("CI") != "" {
		t.Fatalf("mailpit is not installed (scripts/test.sh runs %s)", install)
	}
	t.Skipf("mailpit is not installed (%s)", install)
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The account mailpit takes when it offers STARTTLS.
const mailpitUser, mailpitPassword = "schoolgate", "correct horse battery"

// startMailpit runs mailpit until the test ends. With tlsOn it offers
// STARTTLS with a certificate from a school CA made for the test, and
// takes mail only after STARTTLS and only from mailpitUser signed in
// with mailpitPassword.
func startMailpit(t *testing.T, tlsOn bool) *mailpit {
	t.Helper()
	bin := mailpitBinary(t)
	dir := t.TempDir()
	m := &mailpit{smtp: freeAddr(t), api: freeAddr(t)}
	args := []string{"--smtp", m.smtp, "--listen", m.api, "--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check", "--smtp-disable-rdns", "--quiet"}
	if tlsOn {
		if err := ca.Create(filepath.Join(dir, "ca"), "Test School CA", time.Now); err != nil {
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
		writeFile(t, filepath.Join(dir, "smtp.crt"), string(chain))
		writeFile(t, filepath.Join(dir, "smtp.key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})))
		m.roots = x509.NewCertPool()
		m.roots.AddCert(auth.Certificate())
		args = append(args, "--smtp-tls-cert", filepath.Join(dir, "smtp.crt"), "--smtp-tls-key", filepath.Join(dir, "smtp.key"),
			"--smtp-require-starttls", "--smtp-auth-file", filepath.Join(dir, "smtp.htpasswd"))
		hash, err := bcrypt.GenerateFromPassword([]byte(mailpitPassword), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "smtp.htpasswd"), mailpitUser+":"+string(hash)+"\n")
	}
	cmd := exec.Command(bin, args...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mailpit output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + m.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", m.smtp); err == nil {
				c.Close()
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *mailpit) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: m.roots, MinVersion: tls.VersionTLS12}
}

// mpMessage is one message as mailpit's API lists it, with its raw text.
type mpMessage struct {
	ID      string
	Subject string
	To      []struct{ Name, Address string }
	From    struct{ Name, Address string }
	Raw     string              `json:"-"`
	Headers map[string][]string `json:"-"`
	Text    string              `json:"-"`
}

func (m *mailpit) get(t *testing.T, path string, v any) string {
	t.Helper()
	resp, err := http.Get("http://" + m.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: %s %v", path, resp.Status, err)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("mailpit %s: %v", path, err)
		}
	}
	return string(b)
}

// messages is every message mailpit holds, oldest first, each with its
// raw source, parsed headers and plain text.
func (m *mailpit) messages(t *testing.T) []mpMessage {
	t.Helper()
	var list struct{ Messages []mpMessage }
	m.get(t, "/api/v1/messages", &list)
	out := list.Messages
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	for i := range out {
		id := out[i].ID
		out[i].Raw = m.get(t, "/api/v1/message/"+id+"/raw", nil)
		m.get(t, "/api/v1/message/"+id+"/headers", &out[i].Headers)
		var full struct{ Text string }
		m.get(t, "/api/v1/message/"+id, &full)
		out[i].Text = full.Text
	}
	return out
}

// waitMessages waits until mailpit holds n messages (and a moment more to
// catch any extra), failing after a few seconds.
func (m *mailpit) waitMessages(t *testing.T, n int) []mpMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var list struct{ Total int }
		m.get(t, "/api/v1/messages", &list)
		if list.Total >= n {
			time.Sleep(100 * time.Millisecond)
			got := m.messages(t)
			if len(got) != n {
				t.Fatalf("mailpit holds %d messages, want %d", len(got), n)
			}
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit holds %d messages after 10s, want %d", list.Total, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
