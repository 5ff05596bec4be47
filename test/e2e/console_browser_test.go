package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// consoleBrowser is headless Chromium on the console, for one test: step
// runs actions (failing the test with serve's log), text reads an
// element's text, shot saves a screenshot.
type consoleBrowser struct {
	t   *testing.T
	ctx context.Context
	in  *proxyInstance
}

func newConsoleBrowser(t *testing.T, chromium string, in *proxyInstance) *consoleBrowser {
	t.Helper()
	ctx := startChromium(t, chromium, in.proxy, chromedp.WindowSize(1200, 900))
	tctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(cancel)
	return &consoleBrowser{t: t, ctx: tctx, in: in}
}

func (b *consoleBrowser) step(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\n%s", what, err, b.in.logText())
	}
}

func (b *consoleBrowser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *consoleBrowser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	proxySaveShot(b.t, name, png)
}
