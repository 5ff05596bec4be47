package proxy

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"schoolgate/internal/store/storetest"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"schoolgate/internal/cli/proxystore"
	"schoolgate/internal/logtest"
	"schoolgate/internal/proxy/pages"
	"schoolgate/internal/store"
)

var (
	formRe   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// formIn returns the address and hidden fields of the page's form for
// action (request, concern, continue, aua).
func formIn(t *testing.T, page, action string) (string, url.Values) {
	t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(page, -1) {
		a := html.UnescapeString(m[1])
		if !strings.HasSuffix(a, pages.Prefix+action) {
			continue
		}
		v := url.Values{}
		for _, h := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
			v.Set(h[1], html.UnescapeString(h[2]))
		}
		return a, v
	}
	t.Fatalf("no %s form in the page:\n%s", action, page)
	return "", nil
}

// formStores runs f with the real store: SQLite, and PostgreSQL in a
// schema of its own when SCHOOLGATE_TEST_POSTGRES is set.
func formStores(t *testing.T, f func(t *testing.T, st *store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "sg.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		f(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := store.Open(context.Background(), store.Options{PostgresDSN: storetest.PostgresDSN(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		f(t, st)
	})
}

// withStore gives the pages the real store and the store's form key, and
// logs to log.
func withStore(st *store.Store, log io.Writer) func(*pages.Options) {
	return func(o *pages.Options) {
		o.Requests, o.Concerns, o.Continues, o.Agreements = proxystore.Backends(st, store.DefaultSite)
		key, err := st.Secret(context.Background(), pages.TokenKeyName, 32)
		if err != nil {
			panic(err)
		}
		o.TokenKey = key
		o.Log = slog.New(slog.NewTextHandler(log, nil))
	}
}

// get fetches u through c and returns the status and body.
func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a form through c with the given Origin ("" for none).
func post(t *testing.T, c *http.Client, to string, form url.Values, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", to, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFormsForgedRefused: the block page's forms post to the block page's
// own address with a token. A page on another site cannot post them: not
// to /.schoolgate/ on its own host, not to the block page without the
// token, not with a token from another page, device or site. Nothing is
// stored, and the system log names no host.
func TestFormsForgedRefused(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the site") }))
	defer origin.Close()
	formStores(t, func(t *testing.T, st *store.Store) {
		log := &logtest.Buffer{}
		h := startProxy(t, harnessOpt{opts: withStore(st, log)})
		c := h.client(t, "", nil)
		blocked := site("bet.test", origin.URL, "/spin")
		code, page := get(t, c, blocked)
		if code != 403 {
			t.Fatalf("block page: %d", code)
		}
		action, form := formIn(t, page, "request")
		if action != "http://"+h.addr+"/.schoolgate/request" || form.Get("url") != blocked || form.Get("token") == "" {
			t.Fatalf("request form posts to %s with %v", action, form)
		}
		betOrigin := "http://bet.test:" + port(origin.URL)
		form.Set("reason", "for my project")
		forged := url.Values{"url": {blocked}, "reason": {"for my project"}}
		otherURL := url.Values{"url": {site("bet.test", origin.URL, "/other")}, "reason": {"x"}, "token": {form.Get("token")}}
		for _, tc := range []struct {
			what, to string
			form     url.Values
			origin   string
			client   *http.Client
		}{
			{"on the site's own host, no token", site("bet.test", origin.URL, "/.schoolgate/request"), forged, betOrigin, c},
			{"on the site's own host, with the token", site("bet.test", origin.URL, "/.schoolgate/request"), form, betOrigin, c},
			{"on an allowed site's host", site("ok.test", origin.URL, "/.schoolgate/request"), forged, "http://ok.test:" + port(origin.URL), c},
			{"at the block page, no token", action, forged, "http://ok.test:" + port(origin.URL), c},
			{"at the block page, from another site", action, form, "http://ok.test:" + port(origin.URL), c},
			{"at the block page, another page's address", action, otherURL, betOrigin, c},
			{"at the block page, from another device", action, form, betOrigin, h.client(t, "127.0.0.5", nil)},
		} {
			if code, body := post(t, tc.client, tc.to, tc.form, tc.origin); code != 403 || !strings.Contains(body, "Not allowed") {
				t.Errorf("%s: %d\n%s", tc.what, code, body)
			}
		}
		// A concern and a Continue without their tokens.
		if code, _ := post(t, c, "http://"+h.addr+"/.schoolgate/concern", url.Values{"details": {"forged"}, "url": {blocked}}, ""); code != 403 {
			t.Errorf("concern without a token: %d", code)
		}
		warn := site("game.test", origin.URL, "/play")
		if code, _ := post(t, c, "http://"+h.addr+"/.schoolgate/continue", url.Values{"url": {warn}}, ""); code != 403 {
			t.Errorf("continue without a token: %d", code)
		}
		if code, body := get(t, c, warn); code != 200 || !strings.Contains(body, "Continue to the site") {
			t.Errorf("after a forged continue: %d %s, want the warning", code, body)
		}
		reqs, _ := st.ListRequests(context.Background(), store.AllSites, "", 0)
		concerns, _ := st.ListConcerns(context.Background(), store.Actor{Name: "test"}, "")
		if len(reqs) != 0 || len(concerns) != 0 {
			t.Fatalf("forged forms stored: %+v %+v", reqs, concerns)
		}
		refused := 0
		for _, e := range h.events.all() {
			if e.Action == "form-refused" && strings.HasPrefix(e.Ref, "SG-") {
				refused++
			}
		}
		if refused < 7 {
			t.Errorf("%d refusals in the activity log, want at least 7", refused)
		}
		if l := log.String(); !strings.Contains(l, "form refused") || strings.Contains(l, "bet.test") || strings.Contains(l, "game.test") {
			t.Errorf("system log:\n%s", l)
		}
		if n := strings.Count(log.String(), "level=WARN msg=\"pages: form refused\""); n != 6 {
			// 127.0.0.1 had eight refused, 127.0.0.5 one.
			t.Errorf("%d refusals warned of, want 127.0.0.1's first 5 this minute and 127.0.0.5's one", n)
		}

		// The school's own forms work: from the page's origin, and
		// without Origin (not a browser).
		if code, body := post(t, c, action, form, betOrigin); code != 200 || !strings.Contains(body, "Request sent") {
			t.Fatalf("the block page's own request: %d\n%s", code, body)
		}
		caction, cform := formIn(t, page, "concern")
		cform.Set("details", "an advert for this in a game")
		cform.Set("url", "http://somewhere.else/")
		// This one goes straight to the proxy's address, not through it
		// (a PAC file sends the school's own addresses direct).
		direct := &http.Client{Transport: &http.Transport{}}
		if code, body := post(t, direct, caction, cform, ""); code != 200 || !strings.Contains(body, "Thank you for telling us") {
			t.Fatalf("the block page's own concern, sent direct: %d\n%s", code, body)
		}
		_, wpage := get(t, c, warn)
		waction, wform := formIn(t, wpage, "continue")
		req, _ := http.NewRequest("POST", waction, strings.NewReader(wform.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://game.test:"+port(origin.URL))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 303 || resp.Header.Get("Location") != warn {
			t.Fatalf("the warning's own continue: %d %v", resp.StatusCode, resp.Header)
		}
		if code, body := get(t, c, warn); body != "the site" {
			t.Errorf("after continue: %d %s", code, body)
		}
		// The same Continue again, while the first runs, is that one: no
		// more overrides for every node to reload.
		for range 5 {
			if code, _ := post(t, c, waction, wform, ""); code != 303 {
				t.Errorf("continue again: %d", code)
			}
		}
		if ovs, err := st.ActiveOverrides(context.Background(), store.AllSites, time.Now()); err != nil || len(ovs) != 1 {
			t.Errorf("overrides after six Continues: %+v %v", ovs, err)
		}
		reqs, _ = st.ListRequests(context.Background(), store.AllSites, "", 0)
		concerns, _ = st.ListConcerns(context.Background(), store.Actor{Name: "test"}, "")
		if len(reqs) != 1 || len(concerns) != 1 || concerns[0].URL != "http://somewhere.else/" {
			t.Fatalf("stored: %+v %+v", reqs, concerns)
		}
	})
}

// TestFormsRateLimitedAndFolded: 200 requests for different pages from
// one client at once store blockpage.rate_limit.requests (10) and are
// answered 429 beyond; the same request again from another device is
// folded into the first.
func TestFormsRateLimitedAndFolded(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the site") }))
	defer origin.Close()
	formStores(t, func(t *testing.T, st *store.Store) {
		h := startProxy(t, harnessOpt{opts: withStore(st, io.Discard)})
		c := h.client(t, "", nil)
		const n = 200
		forms := make([]url.Values, n)
		var action string
		for i := range forms {
			_, page := get(t, c, site("bet.test", origin.URL, fmt.Sprintf("/p%d", i)))
			action, forms[i] = formIn(t, page, "request")
			forms[i].Set("reason", "project")
		}
		codes := make([]int, n)
		var wg sync.WaitGroup
		next := make(chan int)
		for range 16 {
			wg.Go(func() {
				for i := range next {
					codes[i], _ = post(t, c, action, forms[i], "")
				}
			})
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		count := map[int]int{}
		for _, code := range codes {
			count[code]++
		}
		if count[200] != 10 || count[429] != n-10 {
			t.Errorf("answers: %v, want 10 × 200 and %d × 429", count, n-10)
		}
		if reqs, _ := st.ListRequests(context.Background(), store.AllSites, "", 0); len(reqs) != 10 {
			t.Errorf("%d requests stored, want 10", len(reqs))
		}
		resp, _ := post(t, c, action, forms[0], "")
		if resp != 429 {
			t.Errorf("one more: %d", resp)
		}

		// Another device asks for the same page twice: one request.
		other := h.client(t, "127.0.0.9", nil)
		_, page := get(t, other, site("social.test", origin.URL, "/feed"))
		a, f := formIn(t, page, "request")
		f.Set("reason", "class work")
		for range 2 {
			if code, body := post(t, other, a, f, ""); code != 200 || !strings.Contains(body, "Request sent") {
				t.Fatalf("request: %d\n%s", code, body)
			}
		}
		reqs, _ := st.ListRequests(context.Background(), store.AllSites, "", 0)
		if len(reqs) != 11 || reqs[0].Host != "social.test" || reqs[0].Repeats != 1 {
			t.Errorf("after a repeat: %d requests, newest %+v", len(reqs), reqs[0])
		}
	})
}
