package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// forgePage is a page on an allowed site that posts a block-page form in
// the visitor's name as soon as it loads: /forge?to=ADDRESS&url=PAGE.
func forgePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>free games</title><form method="post" action="%s">
<input name="url" value="%s"><input name="page" value="%[2]s"><input name="reason" value="forged">
<input name="details" value="forged"><input name="kind" value="other"></form>
<script>document.forms[0].submit()</script>`, html.EscapeString(q.Get("to")), html.EscapeString(q.Get("url")))
}

// TestProxyChromiumForms: in headless Chromium through the proxy, a page
// on an allowed site that posts a request, a concern or a Continue by
// itself, to /.schoolgate/ on its own host or to the block page's
// address, is refused and nothing is stored; the warning's own Continue
// on an inspected HTTPS page (its form posting to the block page's
// address) still opens the site.
func TestProxyChromiumForms(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	o := proxyStartOrigins(t)
	in := proxyStart(t, "  connect_ports: [443, "+o.https+"]\n  inspect: [pupils]\n", "", "SSL_CERT_FILE="+o.caFile)
	// The school CA is not installed in the throwaway profile.
	ctx := startChromium(t, chromium, in.proxy, chromedp.Flag("ignore-certificate-errors", true))
	tctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, in.logText())
		}
	}
	ok := "http://ok.test:" + o.http
	warned := "https://game.test:" + o.https + "/play"
	for _, tc := range []struct{ what, to, url string }{
		{"request on its own host", ok + "/.schoolgate/request", "http://bet.test:" + o.http + "/roulette"},
		{"concern on its own host", ok + "/.schoolgate/concern", "http://bet.test:" + o.http + "/roulette"},
		{"continue on its own host", ok + "/.schoolgate/continue", warned},
		{"request at the block page", "http://" + in.page + "/.schoolgate/request", "http://bet.test:" + o.http + "/roulette"},
		{"concern at the block page", "http://" + in.page + "/.schoolgate/concern", "http://bet.test:" + o.http + "/roulette"},
		{"continue at the block page", "http://" + in.page + "/.schoolgate/continue", warned},
	} {
		forge := ok + "/forge?" + url.Values{"to": {tc.to}, "url": {tc.url}}.Encode()
		step(tc.what, chromedp.Navigate(forge), chromedp.WaitVisible(chromedp.ID("title")))
		if title := text("#title"); title != "Not allowed" {
			t.Errorf("%s: %q", tc.what, title)
		}
	}
	// Six refusals from one device: the first five a minute are
	// warnings in the system log, the rest only in the activity log.
	if n := strings.Count(in.logText(), `msg="pages: form refused"`); n != 5 {
		t.Errorf("%d refusals logged, want 5:\n%s", n, in.logText())
	}
	if out := in.cli(t, "", "requests", "list"); strings.Contains(out, "bet.test") {
		t.Errorf("a forged request was stored:\n%s", out)
	}
	if out := in.cli(t, "", "audit", "list", "--action", "concern.create"); strings.Contains(out, "concern:") {
		t.Errorf("a forged concern was stored:\n%s", out)
	}

	// The forged Continue opened nothing; the warning's own does, on an
	// inspected HTTPS page.
	step("https warning", chromedp.Navigate(warned), chromedp.WaitVisible(chromedp.ID("continue")))
	if h := text("h1"); h != "Think before you continue" {
		t.Fatalf("after forged continues: %q", h)
	}
	step("continue", chromedp.Click(chromedp.ID("continue")), chromedp.Sleep(500*time.Millisecond), chromedp.WaitReady(chromedp.CSS("body")))
	if body := text("body"); !strings.Contains(body, "origin says hello game.test") {
		t.Fatalf("after continue on https: %q\n%s", body, in.logText())
	}
	if strings.Contains(in.logText(), "game.test") || strings.Contains(in.logText(), "bet.test") {
		t.Errorf("the system log names a visited host:\n%s", in.logText())
	}
}
