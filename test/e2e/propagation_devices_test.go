package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/dnsfilter/dnstest"
	"schoolgate/internal/store/storetest"
)

// TestPropagationDeviceEnd: a pupil's device is signed in through both
// nodes' proxies; the technician ends its sign-in on A's console. Within
// a second B's proxy refuses the saved password from that device too,
// saying why, while the pupil logs in through B from another device.
func TestPropagationDeviceEnd(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	up, err := dnstest.Start("127.0.0.1:0", 3600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	o := proxyStartOrigins(t)
	a := startNode(t, "127.0.0.10", dsn, up, nil)
	b := startNode(t, "127.0.0.11", dsn, up, a)
	const pupilPass, techPass = "Volcano-Lava-Magma-42", "Kestrel-Harbour-Lantern-9"
	a.cli(t, pupilPass+"\n", "users", "add", "kim", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "office")
	a.cli(t, techPass+"\n", "users", "add", "techie", "--role", "technical", "--password-stdin", "--by", "office")
	site := "http://ok.test:" + o.http + "/"
	login := []string{"--proxy-user", "kim:" + pupilPass, site}
	for _, n := range []*node{a, b} {
		if st, body, err := n.curl(t, "127.0.0.21", login...); st != http.StatusOK {
			t.Fatalf("kim through %s: %d %v\n%s", n.ip, st, err, body)
		}
	}
	do := a.consoleSession(t, "techie", techPass)
	if st, loc, body := do("POST", "/devices/127.0.0.21/end", url.Values{}); st != http.StatusSeeOther || loc != "/devices?done=ended" {
		t.Fatalf("end on A: %d %s %s", st, loc, body)
	}
	start := time.Now()
	for {
		st, body, _ := b.curl(t, "127.0.0.21", login...)
		if st == http.StatusProxyAuthRequired {
			if !strings.Contains(body, "ended your log-in on this device") {
				t.Errorf("B's refusal does not say why:\n%s", body)
			}
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("the device's sign-in ended on A still accepted by B after 1s (%d)", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("ended on A, refused by B after %v", time.Since(start))
	if st, body, err := b.curl(t, "127.0.0.20", login...); st != http.StatusOK {
		t.Errorf("kim through B from another device: %d %v\n%s", st, err, body)
	}
	out := a.cli(t, "", "audit", "list", "--action", "console.device.end")
	if !strings.Contains(out, `"object":"user:kim"`) || !strings.Contains(out, "127.0.0.21") || !strings.Contains(out, `"actor":"techie"`) {
		t.Errorf("audit of the end:\n%s", out)
	}
	for _, n := range []*node{a, b} {
		if strings.Contains(n.logText(), "kim") {
			t.Errorf("node %s's log names the pupil", n.ip)
		}
	}
}
