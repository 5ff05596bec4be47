package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestProxyFormsRateLimited: blockpage.rate_limit from the policy file
// bounds the requests and concerns one person sends, from any device,
// and one device sends (429 beyond, with Retry-After); a request sent
// again is counted on the one stored.
func TestProxyFormsRateLimited(t *testing.T) {
	o := proxyStartOrigins(t)
	policy := strings.Replace(proxyPolicyBase, "blockpage: {listen: 127.0.0.1:0}",
		"blockpage: {listen: 127.0.0.1:0, rate_limit: {requests: 3, concerns: 2, window: 1h}}", 1)
	if policy == proxyPolicyBase {
		t.Fatal("the base policy's blockpage line has changed")
	}
	in := proxyStartPolicy(t, policy+"  auth: basic\n")
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--groups", "pupils", "--password-stdin", "--by", "admin")
	in.cli(t, "Glacier-Ice-Frost-77\n", "users", "add", "ben", "--groups", "pupils", "--password-stdin", "--by", "admin")
	client := func(from, user, pass string) *http.Client {
		pu := &url.URL{Scheme: "http", Host: in.proxy, User: url.UserPassword(user, pass)}
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		tr := &http.Transport{Proxy: http.ProxyURL(pu), DialContext: d.DialContext}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	do := func(c *http.Client, method, u string, form url.Values) (int, string, http.Header) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, u, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	// ask shows the block page for path to c and sends its request form.
	ask := func(c *http.Client, path, reason string) (int, http.Header) {
		t.Helper()
		code, page, _ := do(c, "GET", "http://bet.test:"+o.http+path, nil)
		if code != 403 {
			t.Fatalf("block page %s: %d", path, code)
		}
		action, form := pageForm(t, page, "request")
		form.Set("reason", reason)
		code, _, h := do(c, "POST", action, form)
		return code, h
	}
	amyHere := client("127.0.0.2", "amy", "Volcano-Lava-Magma-42")
	amyThere := client("127.0.0.4", "amy", "Volcano-Lava-Magma-42")
	var codes []int
	for i, c := range []*http.Client{amyHere, amyThere, amyHere, amyThere} {
		code, h := ask(c, fmt.Sprintf("/p%d", i), "project")
		codes = append(codes, code)
		if code == 429 && h.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[200 200 200 429]" {
		t.Errorf("amy's four requests from two devices: %v, want three then 429", codes)
	}
	// Ben on amy's first device: it has sent two, so one more, then 429.
	benHere := client("127.0.0.2", "ben", "Glacier-Ice-Frost-77")
	if code, _ := ask(benHere, "/ben-a", "project"); code != 200 {
		t.Errorf("ben's first on amy's device: %d", code)
	}
	if code, _ := ask(benHere, "/ben-b", "project"); code != 429 {
		t.Errorf("ben on a device at its limit: %d", code)
	}
	// Ben elsewhere asks, then asks again: one request, asked twice.
	benThere := client("127.0.0.5", "ben", "Glacier-Ice-Frost-77")
	for range 2 {
		if code, _ := ask(benThere, "/ben", "project"); code != 200 {
			t.Fatalf("ben's request: %d", code)
		}
	}
	// Concerns have their own limit.
	code, page, _ := do(benThere, "GET", "http://bet.test:"+o.http+"/c", nil)
	if code != 403 {
		t.Fatal(code)
	}
	action, form := pageForm(t, page, "concern")
	codes = nil
	for i := range 3 {
		form.Set("details", fmt.Sprintf("worry %d", i))
		code, _, _ := do(benThere, "POST", action, form)
		codes = append(codes, code)
	}
	if fmt.Sprint(codes) != "[200 200 429]" {
		t.Errorf("ben's three concerns: %v", codes)
	}

	var stored []struct {
		User    string `json:"user"`
		URL     string `json:"url"`
		Repeats int    `json:"repeats"`
	}
	for _, l := range strings.Split(strings.TrimSpace(in.cli(t, "", "requests", "list", "--json")), "\n") {
		var r struct {
			User    string `json:"user"`
			URL     string `json:"url"`
			Repeats int    `json:"repeats"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		stored = append(stored, r)
	}
	if len(stored) != 5 || stored[0].User != "ben" || !strings.HasSuffix(stored[0].URL, "/ben") || stored[0].Repeats != 1 {
		t.Errorf("stored requests: %+v, want amy's three and ben's two, the last asked twice", stored)
	}
	if out := in.cli(t, "", "requests", "list"); !strings.Contains(out, "pending (asked 2 times)") {
		t.Errorf("requests list:\n%s", out)
	}
}
