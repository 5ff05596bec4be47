package e2e

import (
	"net"
	"strings"
	"testing"
)

// TestProxyUnreachablePage: through the real binary and curl, a site on a
// closed port gets the school's page saying the site refused the
// connection (and that the filter did not block it), and the system log
// says why without naming the site.
func TestProxyUnreachablePage(t *testing.T) {
	in := proxyStart(t, "", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := proxyPort("http://" + ln.Addr().String())
	ln.Close()
	code, body, err := in.curl(t, "127.0.0.3", "http://ok.test:"+closed+"/homework")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"E2E Primary School", "ok.test refused the connection", "not the school&#39;s filter blocking it"} {
		if !strings.Contains(body, want) {
			t.Errorf("the 502 page lacks %q:\n%s", want, body)
		}
	}
	if code != 502 {
		t.Errorf("status %d, want 502", code)
	}
	log := in.logText()
	if !strings.Contains(log, `msg="proxy: site unreachable" cause=refused`) || strings.Contains(log, "ok.test") {
		t.Errorf("the system log should give the cause and not the site:\n%s", log)
	}
}
