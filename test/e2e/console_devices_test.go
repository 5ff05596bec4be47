package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/identity"
)

// TestConsoleDevicesCurl: the real binary. A pupil logs in to the proxy
// from 127.0.0.2 (curl); the technician, signed in to the console with a
// password and a TOTP code, sees that device on /devices and ends its
// sign-in, after which the page no longer lists it and the audit trail
// names the pupil and the address. The end holds against the password
// the browser saved: the pupil's credentials from that device get 407
// saying why, while another person logs in there at once and the pupil
// on another device.
func TestConsoleDevicesCurl(t *testing.T) {
	in, base, _ := consoleStart(t)
	const pupilPass, techPass = "Volcano-Lava-Magma-42", "Kestrel-Harbour-Lantern-9"
	in.cli(t, pupilPass+"\n", "users", "add", "amy", "--name", "Amy <i>Pupil</i>", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	in.cli(t, pupilPass+"\n", "users", "add", "ben", "--name", "Ben", "--role", "pupil", "--groups", "pupils", "--password-stdin", "--by", "admin")
	in.cli(t, techPass+"\n", "users", "add", "techie", "--name", "The Technician", "--role", "technical", "--password-stdin", "--by", "admin")

	// The pupil's proxy log-in (the request's answer does not matter:
	// the log-in is recorded once the password is checked).
	in.curl(t, "127.0.0.2", "--proxy-user", "amy:"+pupilPass, "http://ok.test:9/")

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrfRE := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	var csrf string
	do := func(method, path string, form url.Values) (int, string, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			if csrf != "" {
				form.Set("csrf", csrf)
			}
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, base+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if m := csrfRE.FindSubmatch(b); m != nil {
			csrf = string(m[1])
		}
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	if st, loc, body := do("POST", "/login", url.Values{"username": {"techie"}, "password": {techPass}}); st != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s %s", st, loc, body)
	}
	_, _, body := do("GET", "/totp/enrol", nil)
	m := regexp.MustCompile(`id="secret">([A-Z2-7 ]+)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", body)
	}
	code, err := identity.TOTPCodeAt(strings.ReplaceAll(m[1], " ", ""), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st, _, body := do("POST", "/totp/enrol", url.Values{"code": {code}}); st != http.StatusOK {
		t.Fatalf("enrol: %d %s", st, body)
	}

	st, _, body := do("GET", "/devices", nil)
	if st != http.StatusOK || !strings.Contains(body, "<td>127.0.0.2</td>") || !strings.Contains(body, "<td>amy</td>") ||
		!strings.Contains(body, "Amy &lt;i&gt;Pupil&lt;/i&gt;") {
		t.Fatalf("devices: %d\n%s", st, body)
	}
	if st, loc, body := do("POST", "/devices/127.0.0.2/end", url.Values{}); st != http.StatusSeeOther || loc != "/devices?done=ended" {
		t.Fatalf("end: %d %s %s", st, loc, body)
	}
	if _, _, body := do("GET", "/devices?done=ended", nil); strings.Contains(body, "<td>127.0.0.2</td>") || !strings.Contains(body, "Sign-in ended.") {
		t.Errorf("after ending:\n%s", body)
	}
	// The browser's saved password: refused from that device, with why.
	st, body, err = in.curl(t, "127.0.0.2", "--proxy-user", "amy:"+pupilPass, "http://ok.test:9/")
	if err != nil || st != http.StatusProxyAuthRequired || !strings.Contains(body, "ended your log-in on this device") {
		t.Errorf("the pupil's saved credentials after the end: %d %v\n%s", st, err, body)
	}
	if _, _, body := do("GET", "/devices", nil); strings.Contains(body, "<td>127.0.0.2</td>") {
		t.Errorf("the refused credentials signed the device back in:\n%s", body)
	}
	// Someone else on that device, and the pupil on another, log in.
	for _, c := range []struct{ from, user string }{{"127.0.0.2", "ben"}, {"127.0.0.3", "amy"}} {
		if st, body, err := in.curl(t, c.from, "--proxy-user", c.user+":"+pupilPass, "http://ok.test:9/"); err != nil || st == http.StatusProxyAuthRequired {
			t.Errorf("%s from %s after the end: %d %v\n%s", c.user, c.from, st, err, body)
		}
	}
	if _, _, body := do("GET", "/devices", nil); !strings.Contains(body, "<td>127.0.0.3</td>") || !strings.Contains(body, "<td>ben</td>") {
		t.Errorf("the other log-ins are not listed:\n%s", body)
	}
	out := in.cli(t, "", "audit", "list", "--action", "console.device.end")
	if !strings.Contains(out, `"object":"user:amy"`) || !strings.Contains(out, "127.0.0.2") || !strings.Contains(out, `"actor":"techie"`) {
		t.Errorf("audit of the end:\n%s", out)
	}
	if strings.Contains(in.logText(), "amy") {
		t.Error("the pupil's username is in the system log")
	}
}
