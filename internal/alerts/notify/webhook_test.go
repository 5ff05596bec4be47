package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook endpoint on loopback that checks every post's
// signature the way a receiver would (without this package's Sign), and
// answers with the codes given in turn (then 200).
type receiver struct {
	secret string
	codes  []int
	block  chan struct{} // when set, each post waits for it to close

	mu     sync.Mutex
	bodies []map[string]any
	calls  int
	bad    []string
	srv    *httptest.Server
}

func newReceiver(t *testing.T, secret string, codes ...int) *receiver {
	r := &receiver{secret: secret, codes: codes}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if r.block != nil {
		<-r.block
	}
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	ts := req.Header.Get("X-Schoolgate-Timestamp")
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	sec, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case !hmac.Equal([]byte(req.Header.Get("X-Schoolgate-Signature")), []byte(want)):
		r.bad = append(r.bad, "signature "+req.Header.Get("X-Schoolgate-Signature"))
	case err != nil || sec != monday10.Unix():
		r.bad = append(r.bad, "timestamp "+ts)
	case req.Header.Get("Content-Type") != "application/json" || req.Method != http.MethodPost:
		r.bad = append(r.bad, "request "+req.Method+" "+req.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		r.bad = append(r.bad, "body "+string(body))
	}
	r.bodies = append(r.bodies, m)
	code := http.StatusOK
	if r.calls <= len(r.codes) {
		code = r.codes[r.calls-1]
	}
	if code >= 300 && code < 400 { // followed, it would come back here
		w.Header().Set("Location", r.srv.URL+"/elsewhere")
	}
	w.WriteHeader(code)
}

func (r *receiver) state() (int, []map[string]any, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, slices.Clone(r.bodies), slices.Clone(r.bad)
}

func webhookPolicy(url string) string {
	return policyHead + `alerts:
  console_url: https://console.school.example
  webhooks:
    - {name: teams, url: "` + url + `", secret_env: SG_HOOK}
`
}

func hookOptions(audit *auditLog) Options {
	return Options{Now: (&fakeClock{t: monday10}).Now, Audit: audit.hook, Getenv: func(string) string { return "hook-secret" },
		Attempts: 4, RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond}
}

// TestWebhookRetried: a receiver that fails twice then succeeds gets the
// same signed JSON three times, and the notification counts as sent.
func TestWebhookRetried(t *testing.T) {
	r := newReceiver(t, "hook-secret", 503, 502)
	audit := &auditLog{}
	d := newDispatcher(t, parsePolicy(t, webhookPolicy(r.srv.URL+"/alerts")), hookOptions(audit))
	d.Raised(context.Background(), Alert{ID: 9, Site: "greenfield-primary", Severity: 5, Rule: "illegal", Title: "Illegal content", Group: "ks1", At: monday10})

	if got := audit.wait(t, 1); got[0] != "alert.notify.sent 9 webhook:teams" {
		t.Fatalf("audit %q", got)
	}
	calls, bodies, bad := r.state()
	if calls != 3 || len(bad) > 0 {
		t.Fatalf("%d calls, problems %q", calls, bad)
	}
	want := map[string]any{"id": 9.0, "severity": 5.0, "title": "Illegal content", "group": "ks1",
		"at": "2026-11-30T10:00:00Z", "link": "https://console.school.example/alerts/9"}
	for _, b := range bodies {
		if len(b) != len(want) {
			t.Errorf("body %v, want exactly %v", b, want)
		}
		for k, v := range want {
			if b[k] != v {
				t.Errorf("%s = %v, want %v", k, b[k], v)
			}
		}
	}
	if v := counter(t, d.metrics.sent.WithLabelValues("webhook")); v != 1 {
		t.Errorf("sent metric %v", v)
	}
}

// TestWebhookGivesUp: retries are bounded, and an answer that retrying
// cannot fix (a 4xx, a redirect, which is not followed) is not retried;
// both count as failed.
func TestWebhookGivesUp(t *testing.T) {
	for _, tc := range []struct {
		codes []int
		calls int
	}{{[]int{500, 500, 500, 500, 500}, 4}, {[]int{400}, 1}, {[]int{429, 404}, 2}, {[]int{302}, 1}} {
		r := newReceiver(t, "hook-secret", tc.codes...)
		audit := &auditLog{}
		d := newDispatcher(t, parsePolicy(t, webhookPolicy(r.srv.URL)), hookOptions(audit))
		d.Raised(context.Background(), Alert{ID: 3, Severity: 3, Title: "Gambling sites", At: monday10})
		if got := audit.wait(t, 1); got[0] != "alert.notify.failed 3 webhook:teams" {
			t.Errorf("%v: audit %q", tc.codes, got)
		}
		if calls, _, bad := r.state(); calls != tc.calls || len(bad) > 0 {
			t.Errorf("%v: %d calls, want %d (problems %q)", tc.codes, calls, tc.calls, bad)
		}
		if v := counter(t, d.metrics.failed.WithLabelValues("webhook")); v != 1 {
			t.Errorf("failed metric %v", v)
		}
	}
}

// TestBackoff: the waits double from the base up to the cap, each with
// up to half taken off at random.
func TestBackoff(t *testing.T) {
	base, max := 100*time.Millisecond, 1*time.Second
	for attempt, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := backoff(attempt, base, max)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, full/2, full)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: only %d different waits: no jitter", attempt, len(seen))
		}
	}
}

// TestRaisedNeverBlocks: with the webhook stuck, Raised still returns at
// once; what the bounded queue cannot hold fails (and is counted), and
// the rest is sent once the receiver answers.
func TestRaisedNeverBlocks(t *testing.T) {
	r := newReceiver(t, "hook-secret")
	r.block = make(chan struct{})
	audit := &auditLog{}
	opts := hookOptions(audit)
	opts.QueueSize = 2
	d := newDispatcher(t, parsePolicy(t, webhookPolicy(r.srv.URL)), opts)
	start := time.Now()
	for i := range 10 {
		d.Raised(context.Background(), Alert{ID: int64(i + 1), Severity: 4, Title: "Self-harm searches", At: monday10})
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("10 Raised calls took %s", el)
	}
	failed := counter(t, d.metrics.failed.WithLabelValues("webhook"))
	if failed != 7 && failed != 8 { // one in flight (if the worker took it already) and two queued
		t.Errorf("%v dropped, want 7 or 8", failed)
	}
	close(r.block)
	audit.wait(t, 10)
	if sent := counter(t, d.metrics.sent.WithLabelValues("webhook")); sent+failed != 10 {
		t.Errorf("%v sent and %v failed, want 10 in all", sent, failed)
	}
}
