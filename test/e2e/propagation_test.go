package e2e

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/store/storetest"
)

// TestPropagationTwoNodes: two serve processes of one school on
// 127.0.0.10 and 127.0.0.11, one PostgreSQL database. A grant made
// through A's API is enforced by B's DNS within a second; a pupil
// disabled on A is refused by B's proxy log-in within a second; an API
// token revoked on A is refused by B at once. With the LISTEN connections
// killed by PostgreSQL, a grant still reaches B within the poll's bound,
// and B listens again.
func TestPropagationTwoNodes(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	o := proxyStartOrigins(t)
	a := startNode(t, "127.0.0.10", dsn, up, nil)
	b := startNode(t, "127.0.0.11", dsn, up, a)
	const pupil = "127.0.0.20"

	a.cli(t, "", "users", "add", "mrsmith", "--name", "Mr Smith", "--role", "teacher", "--by", "office")
	token := strings.TrimSpace(a.cli(t, "", "tokens", "create", "--user", "mrsmith", "--name", "timetable", "--expires", "1d", "--by", "office"))

	// A grant through A, enforced by B's DNS.
	allowed := dnstest.AddrFor("social.test").String()
	if got := b.answer(t, pupil, "social.test"); got == allowed {
		t.Fatalf("social.test for a pupil before the grant: %s, the site itself", got)
	}
	start := time.Now()
	a.grant(t, http.DefaultClient, token, "social.test")
	for b.answer(t, pupil, "social.test") != allowed {
		if time.Since(start) > time.Second {
			t.Fatalf("a grant made through A not enforced by B's DNS within 1s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("grant through A enforced by B's DNS after %v", time.Since(start))

	// A pupil disabled on A: B's proxy refuses the log-in it accepted.
	a.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "jo.pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "office")
	site := "http://ok.test:" + o.http + "/"
	login := []string{"--proxy-user", "jo.pupil:Volcano-Lava-Magma-42", site}
	if code, body, err := b.curl(t, "127.0.0.21", login...); code != 200 {
		t.Fatalf("jo.pupil through B before: %d %v\n%s", code, err, body)
	}
	a.cli(t, "", "users", "disable", "jo.pupil", "--by", "office")
	start = time.Now()
	for {
		code, _, _ := b.curl(t, "127.0.0.21", login...)
		if code == 407 {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("jo.pupil, disabled on A, still logged in by B's proxy after 1s (%d)", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("disabled on A, refused by B's proxy after %v", time.Since(start))

	// A token revoked on A: B refuses it.
	if code := b.apiStatus(t, token, "/api/v1/me"); code != 200 {
		t.Fatalf("the token at B before: %d", code)
	}
	a.cli(t, "", "tokens", "revoke", strconv.FormatInt(a.tokenID(t, "mrsmith"), 10), "--by", "office")
	if code := b.apiStatus(t, token, "/api/v1/me"); code != 401 {
		t.Fatalf("the token revoked on A, at B: %d, want 401", code)
	}

	// PostgreSQL ends every LISTEN connection: the poll still carries a
	// grant within its bound, and B listens again.
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var killed int
	if err := db.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'schoolgate-changes' AND datname = current_database()`).Scan(&killed); err != nil || killed < 2 {
		t.Fatalf("killing the LISTEN connections: %d killed, %v", killed, err)
	}
	a.cli(t, "", "users", "add", "mrsjones", "--role", "teacher", "--by", "office")
	token2 := strings.TrimSpace(a.cli(t, "", "tokens", "create", "--user", "mrsjones", "--name", "timetable", "--expires", "1d", "--by", "office"))
	chat := dnstest.AddrFor("chat.test").String()
	if got := b.answer(t, pupil, "chat.test"); got == chat {
		t.Fatalf("chat.test before its grant: %s", got)
	}
	start = time.Now()
	a.grant(t, http.DefaultClient, token2, "chat.test")
	for b.answer(t, pupil, "chat.test") != chat {
		if time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("with LISTEN killed, a grant through A not enforced by B within the poll's bound")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("with LISTEN killed, grant enforced by B after %v", time.Since(start))
	waitFor(t, 10*time.Second, "B listening again", func() bool {
		return strings.Contains(b.logText(), "LISTEN connection to PostgreSQL lost") && strings.Contains(b.logText(), "LISTEN connection to PostgreSQL made again")
	})
	for _, n := range []*node{a, b} {
		if strings.Contains(n.logText(), "jo.pupil") {
			t.Errorf("node %s's log names the pupil:\n%s", n.ip, n.logText())
		}
	}
}
