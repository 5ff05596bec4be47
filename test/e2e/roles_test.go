package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestProxyDeviceRequestApproved: a device nobody has logged in on asks
// for a permission site on the block page; a member of the technical
// staff approves it for that device (`requests approve --device`), and
// the device's next request passes while another pupil device stays
// blocked. A teacher may not decide it; the audit names who did, with
// their roles and the OS account.
func TestProxyDeviceRequestApproved(t *testing.T) {
	o := proxyStartOrigins(t)
	in := proxyStart(t, "", "")
	site := "http://social.test:" + o.http + "/feed"
	code, body, _ := in.curl(t, "127.0.0.2", site)
	if code != 403 || !strings.Contains(body, "Ask for access") {
		t.Fatalf("permission page: %d\n%s", code, body)
	}
	action, form := pageForm(t, body, "request")
	code, body, _ = in.curl(t, "127.0.0.2", curlForm(action, form, "reason", "Our class blog")...)
	if code != 200 || !strings.Contains(body, "Request sent") {
		t.Fatalf("request: %d\n%s", code, body)
	}
	var req struct {
		ID     int64  `json:"id"`
		User   string `json:"user"`
		Client string `json:"client"`
	}
	out := in.cli(t, "", "requests", "list", "--json")
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &req); err != nil || req.User != "" || req.Client != "127.0.0.2" {
		t.Fatalf("stored request: %+v %v\n%s", req, err, out)
	}
	in.cli(t, "", "users", "add", "mr.teach", "--role", "teacher", "--by", "office")
	in.cli(t, "", "users", "add", "tech", "--role", "technical", "--by", "office")
	if _, errOut, err := in.cliRun("", "requests", "approve", "1", "--by", "mr.teach", "--device", "--for", "1h", "--reason", "blog"); err == nil ||
		!strings.Contains(errOut, `"mr.teach" is a teacher`) {
		t.Fatalf("a teacher decides: %v\n%s", err, errOut)
	}
	if _, errOut, err := in.cliRun("", "requests", "approve", "1", "--by", "tech", "--for", "1h", "--reason", "blog"); err == nil ||
		!strings.Contains(errOut, "--device, --group NAME or --network") {
		t.Fatalf("no scope for a device's request: %v\n%s", err, errOut)
	}
	out = in.cli(t, "", "requests", "approve", "1", "--by", "tech", "--device", "--for", "1h", "--reason", "blog")
	if !strings.Contains(out, "allows social.test for device 127.0.0.2") {
		t.Fatalf("approve: %s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body, _ = in.curl(t, "127.0.0.2", site)
		if code == 200 && strings.Contains(body, "origin says hello") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the device is still blocked after approval: %d\n%s", code, in.logText())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _, _ := in.curl(t, "127.0.0.4", site); code != 403 {
		t.Errorf("another pupil device after the approval: %d, want 403", code)
	}
	audit := in.cli(t, "", "audit", "list", "--action", "request.approve")
	if !strings.Contains(audit, `"actor":"tech","roles":"technical","os_user":"`) {
		t.Errorf("audit: %s", audit)
	}
}
