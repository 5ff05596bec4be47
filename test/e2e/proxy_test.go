package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProxyCurl: allowed, blocked, warned and illegal sites over plain
// HTTP; HTTPS tunnels allowed and refused; the PAC file.
func TestProxyCurl(t *testing.T) {
	o := proxyStartOrigins(t)
	in := proxyStart(t, "  connect_ports: [443, "+o.https+"]\n", "")

	code, body, err := in.curl(t, "127.0.0.2", "http://ok.test:"+o.http+"/hello?x=1")
	if err != nil || code != 200 || body != "origin says hello ok.test:"+o.http+" /hello?x=1" {
		t.Fatalf("allowed: %d %q %v", code, body, err)
	}
	code, body, _ = in.curl(t, "127.0.0.2", "http://bet.test:"+o.http+"/")
	ref := regexp.MustCompile(`SG-[0-9a-f]{8}`).FindString(body)
	if code != 403 || !strings.Contains(body, "This page is blocked") || !strings.Contains(body, "Gambling") ||
		!strings.Contains(body, "E2E Primary School") || ref == "" {
		t.Errorf("block page: %d\n%s", code, body)
	}
	// Staff find the event from the reference number a pupil reads out;
	// the system log does not say who visited what.
	found := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && found == ""; time.Sleep(200 * time.Millisecond) {
		found = in.cli(t, "", "activity", "search", "--ref", ref, "--format", "json", "--by", "dsl")
	}
	if !strings.Contains(found, `"host":"bet.test"`) || !strings.Contains(found, `"ref":"`+ref+`"`) || !strings.Contains(found, `"client":"127.0.0.2"`) {
		t.Errorf("activity search --ref %s: %q", ref, found)
	}
	if strings.Contains(in.logText(), "bet.test") {
		t.Errorf("the system log names a visited host:\n%s", in.logText())
	}
	code, body, _ = in.curl(t, "127.0.0.2", "http://bad.test:"+o.http+"/entry")
	if code != 403 || !strings.Contains(body, "Illegal content") || strings.Contains(body, "bad.test") || strings.Contains(body, "Ask for access") {
		t.Errorf("illegal page must name only the category: %d\n%s", code, body)
	}
	code, body, _ = in.curl(t, "127.0.0.2", "http://game.test:"+o.http+"/")
	if code != 200 || !strings.Contains(body, "Continue to the site") {
		t.Errorf("warn page: %d\n%s", code, body)
	}
	// The warn page is a 200 too: staff must get the site itself.
	code, body, _ = in.curl(t, "127.0.0.3", "http://game.test:"+o.http+"/")
	if code != 200 || body != "origin says hello game.test:"+o.http+" /" {
		t.Errorf("staff on games: %d %q", code, body)
	}
	// HTTPS without inspection: the tunnel is refused with 403 (curl
	// reports the CONNECT failure; a browser shows its own error page).
	code, body, err = in.curl(t, "127.0.0.2", "--cacert", o.caFile, "https://ok.test:"+o.https+"/s")
	if err != nil || code != 200 || !strings.Contains(body, "origin says hello") {
		t.Errorf("https tunnel: %d %q %v", code, body, err)
	}
	_, _, err = in.curl(t, "127.0.0.2", "--cacert", o.caFile, "https://bet.test:"+o.https+"/")
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("blocked https tunnel: %v", err)
	}
	// The PAC file, from the block-page listener.
	code, body, _ = in.curl(t, "127.0.0.2", "--noproxy", "*", "http://"+in.page+"/proxy.pac")
	if code != 200 || !strings.Contains(body, "FindProxyForURL") || !strings.Contains(body, "PROXY 127.0.0.1:") {
		t.Errorf("pac: %d %s", code, body)
	}
	// The block-page listener shows the same page for a DNS-blocked name.
	code, body, _ = in.curl(t, "127.0.0.2", "--noproxy", "*", "-H", "Host: bet.test", "http://"+in.page+"/any")
	if code != 403 || !strings.Contains(body, "Gambling") {
		t.Errorf("block-page listener: %d", code)
	}
}

// TestProxyRequestApprovedThenAllowed: a pupil logs in with
// --proxy-user, asks for access on the block page, staff approve with
// `schoolgate requests approve`, and the site opens.
func TestProxyRequestApprovedThenAllowed(t *testing.T) {
	o := proxyStartOrigins(t)
	in := proxyStart(t, "  auth: basic\n  realm: E2E School\n", "")
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--name", "Amy Pupil", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	site := "http://social.test:" + o.http + "/feed"

	code, _, _ := in.curl(t, "127.0.0.2", site)
	if code != 407 {
		t.Fatalf("without --proxy-user: %d, want 407", code)
	}
	code, _, _ = in.curl(t, "127.0.0.2", "--proxy-user", "amy:wrong-password", site)
	if code != 407 {
		t.Fatalf("wrong password: %d, want 407", code)
	}
	user := []string{"--proxy-user", "amy:Volcano-Lava-Magma-42"}
	code, body, _ := in.curl(t, "127.0.0.2", append(user, site)...)
	if code != 403 || !strings.Contains(body, "permission") || !strings.Contains(body, "Ask for access") {
		t.Fatalf("permission page: %d\n%s", code, body)
	}
	// Ask for access (the form posts to the block page's address, with
	// its token) without a reason, then with one.
	action, form := pageForm(t, body, "request")
	if action != "http://"+in.page+"/.schoolgate/request" {
		t.Errorf("the request form posts to %s, not the block page %s", action, in.page)
	}
	code, _, _ = in.curl(t, "127.0.0.2", append(user, curlForm(action, form, "reason", " ")...)...)
	if code != 400 {
		t.Errorf("request without a reason: %d, want 400", code)
	}
	code, body, _ = in.curl(t, "127.0.0.2", append(user, curlForm(action, form, "reason", "Our class project on online safety")...)...)
	if code != 200 || !strings.Contains(body, "Request sent") {
		t.Fatalf("request: %d\n%s", code, body)
	}
	out := in.cli(t, "", "requests", "list", "--json")
	var req struct {
		ID     int64  `json:"id"`
		User   string `json:"user"`
		Host   string `json:"host"`
		Reason string `json:"reason"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(strings.Split(strings.TrimSpace(out), "\n")[0]), &req); err != nil {
		t.Fatalf("requests list: %v\n%s", err, out)
	}
	if req.User != "amy" || req.Host != "social.test" || req.Status != "pending" || !strings.Contains(req.Reason, "online safety") {
		t.Fatalf("stored request: %+v", req)
	}
	// Only a directory person whose roles allow it may decide: not the
	// pupil herself, nor a name nobody knows.
	if _, errOut, err := in.cliRun("", "requests", "approve", "1", "--by", "amy", "--for", "1h", "--reason", "mine"); err == nil ||
		!strings.Contains(errOut, `--by must name a member of staff with the technical, esafety-lead or dsl role; "amy" is a pupil`) {
		t.Errorf("a pupil approves: err %v\n%s", err, errOut)
	}
	if _, errOut, err := in.cliRun("", "requests", "approve", "1", "--by", "mrsmith", "--for", "1h", "--reason", "x"); err == nil || !strings.Contains(errOut, `"mrsmith" is not`) {
		t.Errorf("an unknown actor approves: err %v\n%s", err, errOut)
	}
	in.cli(t, "", "users", "add", "mrsmith", "--role", "technical", "--by", "admin")
	if _, errOut, err := in.cliRun("", "requests", "approve", "1", "--by", "mrsmith"); err == nil || !strings.Contains(errOut, "missing --reason, --for") {
		t.Errorf("approve without --for and --reason: err %v\n%s", err, errOut)
	}
	out = in.cli(t, "", "requests", "approve", "1", "--by", "mrsmith", "--for", "1h", "--reason", "project work")
	if !strings.HasPrefix(out, "request 1 approved: override ") || !strings.Contains(out, " allows social.test for amy until ") {
		t.Errorf("approve: %s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body, _ = in.curl(t, "127.0.0.2", append(user, site)...)
		if code == 200 && strings.Contains(body, "origin says hello") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still blocked after approval: %d\n%s", code, in.logText())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Another pupil is still blocked: the unblock was for amy.
	in.cli(t, "Glacier-Ice-Frost-77\n", "users", "add", "ben", "--groups", "pupils", "--password-stdin", "--by", "admin")
	code, _, _ = in.curl(t, "127.0.0.4", "--proxy-user", "ben:Glacier-Ice-Frost-77", site)
	if code != 403 {
		t.Errorf("ben after amy's approval: %d, want 403", code)
	}
	// Illegal content cannot even be requested: its page has no request
	// form, so no token to send one with.
	code, _, _ = in.curl(t, "127.0.0.2", append(user, "--data-urlencode", "url=http://bad.test/", "--data-urlencode", "reason=please", action)...)
	if code != 403 {
		t.Errorf("request for illegal content: %d, want 403", code)
	}
	if !strings.Contains(in.cli(t, "", "audit", "list"), "request.approve") {
		t.Error("the approval is not in the audit trail")
	}
}

// TestProxyAUAGate: a pupil who has not accepted the agreement gets it on
// their first request; accepting records it and continues to the site.
func TestProxyAUAGate(t *testing.T) {
	o := proxyStartOrigins(t)
	dir := t.TempDir()
	aua := filepath.Join(dir, "aua-pupils.txt")
	os.WriteFile(aua, []byte("I will be kind online.\nI will tell a teacher if I see something upsetting.\n"), 0o644)
	in := proxyStart(t, "  auth: basic\n", "aua:\n  pupils: {version: \"2026-1\", file: "+aua+"}\n")
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--groups", "pupils", "--password-stdin", "--by", "admin")
	if out, errOut, err := in.cliRun("", "aua", "status"); err != nil || !strings.Contains(out, "amy") || !strings.Contains(errOut, "1 not accepted") {
		t.Errorf("aua status before: %v\n%s%s", err, out, errOut)
	}
	if out := in.cli(t, "", "aua", "status", "--json"); out != `{"group":"pupils","version":"2026-1","user":"amy"}`+"\n" {
		t.Errorf("aua status --json before: %q", out)
	}
	user := []string{"--proxy-user", "amy:Volcano-Lava-Magma-42"}
	site := "http://ok.test:" + o.http + "/start"
	code, body, _ := in.curl(t, "127.0.0.2", append(user, site)...)
	if code != 200 || !strings.Contains(body, "I will be kind online.") || !strings.Contains(body, "I agree") {
		t.Fatalf("agreement page: %d\n%s", code, body)
	}
	action, form := pageForm(t, body, "aua")
	if form.Get("group") != "pupils" || form.Get("version") != "2026-1" || form.Get("return") != site {
		t.Errorf("agreement form: %v", form)
	}
	code, body, _ = in.curl(t, "127.0.0.2", append(user, append([]string{"-D", "-"}, curlForm(action, form)...)...)...)
	if code != 303 || !strings.Contains(body, "Location: "+site) {
		t.Fatalf("accept: %d\n%s", code, body)
	}
	code, body, _ = in.curl(t, "127.0.0.2", append(user, site)...)
	if code != 200 || !strings.Contains(body, "origin says hello") {
		t.Errorf("after accepting: %d\n%s", code, body)
	}
	if out, errOut, err := in.cliRun("", "aua", "status"); err != nil || strings.Contains(out, "amy") || !strings.Contains(errOut, "0 not accepted") {
		t.Errorf("aua status after: %v\n%s%s", err, out, errOut)
	}
}

// TestProxyInspection: with the school CA trusted by the client (curl
// --cacert), inspected HTTPS gets full-URL decisions and the block page;
// banking (no_inspect) is tunnelled untouched.
func TestProxyInspection(t *testing.T) {
	o := proxyStartOrigins(t)
	in := proxyStart(t, "  connect_ports: [443, "+o.https+"]\n  inspect: [pupils]\n", "", "SSL_CERT_FILE="+o.caFile)
	caPEM := filepath.Join(t.TempDir(), "school-ca.pem")
	out := in.cli(t, "", "ca", "export")
	os.WriteFile(caPEM, []byte(out), 0o644)
	if fi, err := os.Stat(filepath.Join(in.data, "ca", "ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("CA key mode: %v %v", fi, err)
	}
	if _, errOut, err := in.cliRun("", "ca", "init"); err == nil || !strings.Contains(errOut, "already exists") {
		t.Errorf("ca init over an existing CA: %v %s", err, errOut)
	}
	code, body, err := in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://ok.test:"+o.https+"/inside?q=1")
	if err != nil || code != 200 || !strings.Contains(body, "/inside?q=1") {
		t.Fatalf("inspected allowed: %d %q %v", code, body, err)
	}
	code, body, _ = in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://bet.test:"+o.https+"/")
	if code != 403 || !strings.Contains(body, "This page is blocked") {
		t.Errorf("HTTPS block page: %d\n%s", code, body)
	}
	code, body, _ = in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://www.google.com:"+o.https+"/search?q=volcanoes")
	if code != 200 || !strings.Contains(body, "safe=active") {
		t.Errorf("SafeSearch: %d %s", code, body)
	}
	// Banking is never inspected: with only the school CA, curl cannot
	// verify the bank's own certificate; with the origin's CA it can.
	if _, _, err := in.curl(t, "127.0.0.2", "--cacert", caPEM, "https://bank.test:"+o.https+"/"); err == nil {
		t.Error("banking was inspected")
	}
	if code, _, err := in.curl(t, "127.0.0.2", "--cacert", o.caFile, "https://bank.test:"+o.https+"/"); err != nil || code != 200 {
		t.Errorf("banking tunnel: %d %v", code, err)
	}
	// Staff are not inspected: the origin's own certificate.
	if code, _, err := in.curl(t, "127.0.0.3", "--cacert", o.caFile, "https://ok.test:"+o.https+"/"); err != nil || code != 200 {
		t.Errorf("staff tunnel: %d %v", code, err)
	}
}
