package e2e

import (
	"context"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"schoolgate/internal/report/reportfixture"
	"schoolgate/internal/store"
)

// TestGovernorsReportChromium: the real binary over a store seeded with
// the named fixture (pupils, staff, incidents with summaries, blocked
// visits to named hosts, requests with reasons). A governor opens the
// report in Chromium and downloads its PDF; neither the page nor the
// PDF's text (pdftotext) holds any fixture name or username; small
// counts are suppressed; every page of the PDF renders (pdftoppm) and is
// not blank. A teacher gets 403.
func TestGovernorsReportChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	pdftoppm := needTool(t, "pdftoppm", "poppler-utils")
	in := &proxyInstance{bin: dnsBinary(t), dir: t.TempDir(), serveProcess: newServeProcess()}
	in.data = filepath.Join(in.dir, "data")
	for name, body := range reportfixture.Lists {
		dnsWrite(t, in.dir, name, body)
	}
	dnsWrite(t, in.dir, "policy.yaml", reportfixture.Policy+`dns: {listen: []}
admin: {listen: 127.0.0.1:0}
blockpage: {listen: 127.0.0.1:0}
proxy: {listen: 127.0.0.1:0}
console: {listen: 127.0.0.1:0, tls: off}
`)
	// The fixture goes into serve's database before serve starts.
	if err := os.MkdirAll(in.data, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(in.data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().AddDate(0, 0, -70)
	seeded, err := reportfixture.Seed(ctx, st, from)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	in.env = append(os.Environ(), "SCHOOLGATE_DATA="+in.data)
	cmd := exec.Command(in.bin, "serve", "-c", filepath.Join(in.dir, "policy.yaml"), "--data", in.data)
	cmd.Env = in.env
	addrs := in.start(t, cmd, proxyListenRe, consoleListenRe)
	in.proxy = addrs[0]
	base := addrs[1]
	waitFor(t, 20*time.Second, "serve ready", func() bool { return strings.Contains(in.logText(), "schoolgate ready") })
	const password = "Heron-Quarry-Lantern-4"
	in.cli(t, password+"\n", "users", "add", "gov", "--name", "Chair of Governors", "--role", "governor", "--password-stdin", "--by", "admin")
	in.cli(t, password+"\n", "users", "add", "teach", "--name", "Class Teacher", "--role", "teacher", "--password-stdin", "--by", "admin")

	period := url.Values{"from": {from.AddDate(0, 0, -1).Format(time.DateOnly)}, "to": {time.Now().AddDate(0, 0, 1).Format(time.DateOnly)}}
	b := newConsoleBrowser(t, chromium, in)
	b.step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "gov"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("username")),
		chromedp.WaitVisible(`a[href="/reports/governors"]`))
	b.step("report", chromedp.Navigate(base+"/reports/governors?"+period.Encode()), chromedp.WaitVisible(chromedp.ID("report")))
	page, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fewer than 5", "withheld", "Key stage 3 (years 7–9)", "Used in computing lessons", "Download as PDF"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	bars, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(".report-chart rect.bar").length`))
	if err != nil || bars == 0 {
		t.Errorf("the weekly chart has no bars (%v)", err)
	}
	noFixtureNames(t, "the page", page, seeded.Names)
	b.shot("console-governors-report.png")
	// Printed: the form and the menu go, the chart stays.
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[".report-period", ".top nav", ".report-chart svg"].map(s => getComputedStyle(document.querySelector(s)).display).join(",")`))
	if err != nil || printed != "none,none,block" {
		t.Errorf("printed: form, menu, chart display %q (%v), want none,none,block", printed, err)
	}

	// The PDF, fetched as the governor.
	gov := signedInClient(t, base, "gov", password)
	resp, err := gov.Get(base + "/reports/governors.pdf?" + period.Encode())
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("PDF: %d %s %.20q", resp.StatusCode, resp.Header.Get("Content-Type"), pdf)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{"Governors' report", "fewer than 5", "Key stage 3 (years 7–9)", "Attempts on blocked categories"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	noFixtureNames(t, "the PDF", string(text), seeded.Names)
	if out, err := exec.Command(pdftoppm, "-png", "-r", "60", file, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) < 2 {
		t.Fatalf("%d pages", len(pages))
	}
	for _, p := range pages {
		if share := inkedShare(t, p); share < 0.01 {
			t.Errorf("%s is blank (%.4f inked)", filepath.Base(p), share)
		}
	}

	// A teacher is refused.
	teach := signedInClient(t, base, "teach", password)
	for _, path := range []string{"/reports/governors", "/reports/governors.pdf", "/api/v1/reports/governors"} {
		resp, err := teach.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("teacher %s: %d, want 403", path, resp.StatusCode)
		}
	}
}

// signedInClient is an HTTP client signed in to the console (a role
// without a second factor).
func signedInClient(t *testing.T, base, user, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s signing in: %d", user, resp.StatusCode)
	}
	return c
}

func noFixtureNames(t *testing.T, what, body string, names []string) {
	t.Helper()
	lower := strings.ToLower(body)
	for _, n := range names {
		if strings.Contains(lower, strings.ToLower(n)) {
			t.Errorf("%s names %q", what, n)
		}
	}
}

// inkedShare is the share of a PNG's pixels that are not near white.
func inkedShare(t *testing.T, file string) float64 {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	bounds := img.Bounds()
	var ink, all int
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			all++
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(all)
}
