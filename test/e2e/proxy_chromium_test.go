package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestProxyChromium drives headless Chromium through the proxy: the block
// page is shown (and photographed), both of its forms are submitted, and a
// warning is clicked through.
func TestProxyChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	o := proxyStartOrigins(t)
	in := proxyStart(t, "", "")

	ctx := startChromium(t, chromium, in.proxy, chromedp.WindowSize(1000, 1100))
	blocked := "http://bet.test:" + o.http + "/roulette"
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
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		proxySaveShot(t, name, png)
	}

	step("block page", chromedp.Navigate(blocked), chromedp.WaitVisible(chromedp.ID("ask")))
	if h, ref := text("h1"), text("#ref"); h != "This page is blocked" || !strings.HasPrefix(ref, "SG-") {
		t.Errorf("heading %q ref %q", h, ref)
	}
	shot("blockpage.png")

	step("ask for access",
		chromedp.SendKeys(chromedp.ID("reason"), "We are researching how betting adverts target young people"),
		chromedp.Submit(chromedp.ID("ask")),
		chromedp.WaitVisible(chromedp.ID("title")))
	if title := text("#title"); title != "Request sent" {
		t.Fatalf("ask for access: %q", title)
	}
	step("report a concern",
		chromedp.Navigate(blocked),
		chromedp.WaitVisible(chromedp.ID("concern")),
		chromedp.SetValue(chromedp.ID("kind"), "should-block"),
		chromedp.SendKeys(chromedp.ID("details"), "An advert for this site appeared in a game"),
		chromedp.Submit(chromedp.ID("concern")),
		chromedp.WaitVisible(chromedp.ID("title")))
	if title := text("#title"); title != "Thank you for telling us" {
		t.Fatalf("report a concern: %q", title)
	}
	out := in.cli(t, "", "requests", "list")
	if !strings.Contains(out, "bet.test") || !strings.Contains(out, "betting adverts") {
		t.Errorf("request not stored:\n%s", out)
	}
	if out := in.cli(t, "", "audit", "list", "--action", "concern.create"); !strings.Contains(out, "bet.test") {
		t.Errorf("concern not stored:\n%s", out)
	}

	step("warning page", chromedp.Navigate("http://game.test:"+o.http+"/play"), chromedp.WaitVisible(chromedp.ID("continue")))
	shot("warnpage.png")
	step("continue", chromedp.Click(chromedp.ID("continue")), chromedp.Sleep(500*time.Millisecond), chromedp.WaitReady(chromedp.CSS("body")))
	if body := text("body"); !strings.Contains(body, "origin says hello game.test") {
		t.Fatalf("after continue: %q", body)
	}
}

// startChromium starts headless Chromium in a throwaway profile, its
// traffic through the proxy at proxyAddr, and returns its context (the
// browser stops when the test ends). The flags keep it off the network
// beyond the proxy (this machine has none).
func startChromium(t *testing.T, chromium, proxyAddr string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.ProxyServer("http://"+proxyAddr),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first Run starts the browser: it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// proxySaveShot keeps a screenshot in the test's temp dir and, when
// SCHOOLGATE_SCREENSHOTS names a directory, there too.
func proxySaveShot(t *testing.T, name string, png []byte) {
	t.Helper()
	if len(png) == 0 {
		t.Errorf("empty screenshot %s", name)
		return
	}
	if err := os.WriteFile(filepath.Join(t.TempDir(), name), png, 0o644); err != nil {
		t.Error(err)
	}
	if dir := os.Getenv("SCHOOLGATE_SCREENSHOTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}
