package console

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// logEvents writes events to the activity log (the real insert path).
func (f *fixture) logEvents(events ...activity.Event) {
	f.t.Helper()
	if err := f.st.InsertEvents(context.Background(), events); err != nil {
		f.t.Fatal(err)
	}
}

func ev(at time.Time, user, client, host, verdict string, cats ...string) activity.Event {
	return activity.Event{Time: at, Client: netip.MustParseAddr(client), User: user, Host: host, Verdict: verdict,
		Categories: cats, Point: activity.PointDNS, Groups: []string{"pupils-ks2"}}
}

// audited says whether an audit record with action and object exists.
func (f *fixture) audited(action, object string) bool {
	f.t.Helper()
	recs, err := f.st.ListAudit(context.Background(), store.AuditFilter{Action: action})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range recs {
		if r.Object == object {
			return true
		}
	}
	return false
}

// staffRows: a pupil's, a teacher's, a name the directory does not know
// and a device's events.
func (f *fixture) staffRows() {
	at := f.clk.Now().Add(-time.Hour)
	f.logEvents(
		ev(at, "ada", "10.20.0.7", "pupil-site.example", "allow"),
		ev(at.Add(time.Second), "r-teacher", "10.10.0.5", "teacher-site.example", "allow"),
		ev(at.Add(2*time.Second), "ghost", "10.10.0.6", "ghost-site.example", "allow"),
		ev(at.Add(3*time.Second), "", "10.20.0.8", "device-site.example", "block", "games"),
	)
}

// TestActivityStaffRows: a technical or esafety-lead sees pupils' and
// devices' events, never a member of staff's nor an unknown name's (they
// are counted as withheld), and a search naming a member of staff is
// refused and audited; the dsl sees everything. Every search naming a
// person is audited as user:NAME.
func TestActivityStaffRows(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.staffRows()
		for _, role := range []string{"technical", "esafety-lead"} {
			b := f.browser()
			b.signIn("r-"+role, "")
			st, _, body := b.do("GET", "/activity?host=example", nil)
			if st != http.StatusOK {
				t.Fatalf("%s: %d %s", role, st, body)
			}
			for _, want := range []string{"pupil-site.example", "device-site.example", `id="withheld">2 events`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: %q missing", role, want)
				}
			}
			for _, hidden := range []string{"teacher-site.example", "r-teacher", "ghost"} {
				if strings.Contains(body, hidden) {
					t.Errorf("%s sees %q", role, hidden)
				}
			}
			for _, who := range []string{"r-teacher", "ghost"} {
				st, _, body = b.do("GET", "/activity?person="+who, nil)
				if st != http.StatusForbidden || strings.Contains(body, "-site.example") {
					t.Errorf("%s naming %s: %d", role, who, st)
				}
			}
			st, _, _ = b.do("GET", "/people/r-teacher/chronology", nil)
			if st != http.StatusForbidden {
				t.Errorf("%s: a teacher's chronology: %d", role, st)
			}
		}
		recs, _ := f.st.ListAudit(context.Background(), store.AuditFilter{Action: "console.activity.search"})
		if len(recs) == 0 || !strings.Contains(recs[0].After, `"users":["ada"]`) {
			t.Errorf("the search's audit does not name the people shown: %+v", recs)
		}
		if !f.audited("console.activity.refused", "user:r-teacher") {
			t.Error("the refused search is not audited")
		}
		b := f.browser()
		b.signIn("r-dsl", "")
		st, _, body := b.do("GET", "/activity?person=r-teacher", nil)
		if st != http.StatusOK || !strings.Contains(body, "teacher-site.example") || strings.Contains(body, "pupil-site.example") {
			t.Errorf("dsl naming a teacher: %d %s", st, body)
		}
		if !f.audited("console.activity.search", "user:r-teacher") {
			t.Error("a search naming a teacher is not audited as user:r-teacher")
		}
		if _, _, body := b.do("GET", "/activity?group=pupils-ks2&host=pupil-site.example", nil); !strings.Contains(body, ">pupil-site.example<") {
			t.Error("the group search misses ada's event")
		}
		if _, _, body := b.do("GET", "/activity?group=staff&host=pupil-site.example", nil); strings.Contains(body, ">pupil-site.example<") {
			t.Error("the group search finds an event of another group")
		}
		st, _, body = b.do("GET", "/activity?host=example", nil)
		if st != http.StatusOK || strings.Contains(body, "withheld") || !strings.Contains(body, "ghost-site.example") {
			t.Errorf("dsl: %d", st)
		}
	})
}

var nextRE = regexp.MustCompile(`href="(/activity\?[^"]+)" rel="next"`)
var rowHostRE = regexp.MustCompile(`<td class="host">(h\d+\.example)</td>`)

// TestActivityPages: following the "next" links pages through every
// event once, newest first, with no duplicate and no gap, even where
// many events share an instant across a page boundary.
func TestActivityPages(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		base := f.clk.Now().Add(-2 * time.Hour)
		var events []activity.Event
		const total = 173
		for i := range total {
			// Runs of 7 events at one microsecond, so ties straddle the
			// 50-event pages.
			at := base.Add(time.Duration(i/7) * time.Second)
			events = append(events, ev(at, "ada", "10.20.0.7", fmt.Sprintf("h%d.example", i), "allow"))
		}
		f.logEvents(events...)
		b := f.browser()
		b.signIn("r-esafety-lead", "")
		seen := map[string]bool{}
		path, pages, lastIdx := "/activity?person=ada&since="+url.QueryEscape(base.Add(-time.Minute).Format("2006-01-02 15:04")), 0, total
		for path != "" {
			pages++
			st, _, body := b.do("GET", strings.ReplaceAll(path, "&amp;", "&"), nil)
			if st != http.StatusOK {
				t.Fatalf("page %d: %d %s", pages, st, body)
			}
			for _, m := range rowHostRE.FindAllStringSubmatch(body, -1) {
				if seen[m[1]] {
					t.Errorf("%s twice", m[1])
				}
				seen[m[1]] = true
				var i int
				fmt.Sscanf(m[1], "h%d.example", &i)
				if i/7 > lastIdx/7 {
					t.Errorf("%s is newer than an event before it", m[1])
				}
				lastIdx = i
			}
			path = ""
			if m := nextRE.FindStringSubmatch(body); m != nil {
				path = m[1]
			}
			if pages > 10 {
				t.Fatal("the pages never end")
			}
		}
		if len(seen) != total || pages < 4 {
			t.Errorf("%d events over %d pages, want %d over at least 4", len(seen), pages, total)
		}
	})
}

// TestActivityEscaping: a host with markup and a concern's text render as
// text on the activity, chronology and concern pages.
func TestActivityEscaping(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	bad := `x"><img src=x onerror=alert(1)>.example`
	e := ev(f.clk.Now().Add(-time.Minute), "ada", "10.20.0.7", bad, "block", "games")
	e.Search = "<b>search</b>"
	f.logEvents(e)
	b := f.browser()
	b.signIn("r-dsl", "")
	for _, path := range []string{"/activity?person=ada", "/people/ada/chronology", fmt.Sprintf("/concerns/%d", f.concern.ID), "/concerns"} {
		st, _, body := b.do("GET", path, nil)
		if st != http.StatusOK {
			t.Fatalf("%s: %d", path, st)
		}
		for _, raw := range []string{"<img", "<script>", "<b>search"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s: unescaped %q", path, raw)
			}
		}
		if !strings.Contains(path, "concern") && !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s: the host is not shown as text", path)
		}
		if strings.HasPrefix(path, "/concerns") && !strings.Contains(body, "&lt;script&gt;alert(&#34;c&#34;)&lt;/script&gt;") {
			t.Errorf("%s: the concern is not shown as text", path)
		}
	}
}

// TestActivityCSV: the export asks for a fresh code (a wrong or reused
// one is refused), then streams every matching event as formula-safe
// CSV, keeps the staff-row rule and is audited as user:NAME.
func TestActivityCSV(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		f.staffRows()
		at := f.clk.Now().Add(-30 * time.Minute)
		var events []activity.Event
		for i := range 600 {
			e := ev(at.Add(time.Duration(i)*time.Millisecond), "ada", "10.20.0.7", fmt.Sprintf("h%d.example", i), "allow")
			e.Search = "=HYPERLINK(\"http://evil.example\")"
			events = append(events, e)
		}
		f.logEvents(events...)
		b := f.browser()
		secret := b.signIn("r-esafety-lead", "")
		_, _, page := b.do("GET", "/activity?host=example&verdict=allow", nil)
		if !strings.Contains(page, `href="/activity.csv?host=example&amp;verdict=allow" id="export"`) {
			t.Errorf("the export link does not carry the filters:\n%s", page)
		}
		st, _, body := b.do("GET", "/activity.csv?host=example", nil)
		if st != http.StatusOK || !strings.Contains(body, `name="code"`) || strings.Contains(body, "h1.example") {
			t.Fatalf("without a code: %d %s", st, body)
		}
		if st, _, _ = b.do("GET", "/activity.csv?host=example&code=000000", nil); st != http.StatusUnprocessableEntity {
			t.Errorf("a wrong code: %d", st)
		}
		if !f.audited("console.reconfirm.fail", "user:r-esafety-lead") {
			t.Error("the wrong code is not audited")
		}
		f.clk.Add(identity.TOTPStep)
		code, _ := identity.TOTPCodeAt(secret, f.clk.Now())
		req, _ := http.NewRequest("GET", f.srv.URL+"/activity.csv?host=example&code="+code, nil)
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		// Streamed: no length known in advance, sent in chunks.
		if resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("not streamed: length %d, encoding %v", resp.ContentLength, resp.TransferEncoding)
		}
		data, _ := io.ReadAll(resp.Body)
		rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		// The header, 600 of ada's, ada's one and the device's; not the
		// teacher's nor the unknown name's.
		if len(rows) != 1+600+2 {
			t.Errorf("%d rows, want %d", len(rows), 603)
		}
		for _, row := range rows[1:] {
			if row[1] == "r-teacher" || row[1] == "ghost" {
				t.Errorf("a staff row exported: %v", row)
			}
			if row[9] != "" && !strings.HasPrefix(row[9], "'=") {
				t.Errorf("a formula cell: %q", row[9])
			}
		}
		if !f.audited("console.activity.export", "activity") || !f.audited("console.reconfirm", "user:r-esafety-lead") {
			t.Error("the export is not audited")
		}
		// The same code again is refused.
		if st, _, _ := b.do("GET", "/activity.csv?person=ada&code="+code, nil); st != http.StatusUnprocessableEntity {
			t.Errorf("a reused code: %d", st)
		}
		f.clk.Add(identity.TOTPStep)
		code, _ = identity.TOTPCodeAt(secret, f.clk.Now())
		if st, _, _ := b.do("GET", "/activity.csv?person=ada&code="+code, nil); st != http.StatusOK || !f.audited("console.activity.export", "user:ada") {
			t.Errorf("an export naming ada: %d, or not audited as user:ada", st)
		}
	})
}

// TestChronology: a pupil's day in one timeline, oldest first: the
// events (blocks and searches highlighted), the request, the grant made
// by approving it and the concern, with the view audited as user:ada.
func TestChronology(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		ctx := context.Background()
		now := f.clk.Now()
		blocked := ev(now.Add(-3*time.Hour), "ada", "10.20.0.7", "games.example", "block", "games")
		searched := ev(now.Add(-2*time.Hour), "ada", "10.20.0.7", "www.search.example", "allow")
		searched.Search = "how to make friends"
		f.logEvents(blocked, searched, ev(now.Add(-2*time.Hour), "r-teacher", "10.10.0.5", "teacher-only.example", "allow"))
		if _, err := f.st.AcceptAUA(ctx, store.Acceptance{User: "ada", Group: "pupils-ks2", Version: "2026", AcceptedAt: now.Add(-4 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		b := f.browser()
		b.signIn("r-dsl", "")
		st, _, body := b.do("GET", "/people/ada/chronology", nil)
		if st != http.StatusOK {
			t.Fatalf("chronology: %d %s", st, body)
		}
		for _, want := range []string{`class="activity block"`, `<mark>allow`, "how to make friends", `<tr class="request">`, `<tr class="concern">`,
			`<tr class="aua">`, "Monday 9 March 2026", fmt.Sprintf(`href="/concerns/%d"`, f.concern.ID)} {
			if !strings.Contains(body, want) {
				t.Errorf("%q missing", want)
			}
		}
		if strings.Contains(body, "teacher-only.example") {
			t.Error("another person's event in ada's chronology")
		}
		if i, j := strings.Index(body, "games.example"), strings.Index(body, "how to make friends"); i < 0 || j < i {
			t.Error("not oldest first")
		}
		if !f.audited("console.chronology.view", "user:ada") {
			t.Error("the chronology is not audited")
		}
		if !strings.Contains(body, "someone is upsetting me") {
			t.Error("the dsl does not see the concern's text")
		}
		// The technical role sees that a concern was raised, not its text.
		tb := f.browser()
		tb.signIn("r-technical", "")
		if _, _, body := tb.do("GET", "/people/ada/chronology", nil); !strings.Contains(body, "raised a concern (reading it needs") || strings.Contains(body, "upsetting") {
			t.Error("the technical role reads a concern in the chronology")
		}
		if st, _, _ := b.do("GET", "/people/ada/chronology?since=yesterday", nil); st != http.StatusUnprocessableEntity {
			t.Errorf("a bad date: %d", st)
		}
	})
}

// TestConcerns: a concern opened is audited; it moves from new to in
// progress to closed; notes are appended and kept; the dashboard counts
// the concerns not closed.
func TestConcerns(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		b := f.browser()
		b.signIn("r-esafety-lead", "")
		_, _, body := b.do("GET", "/", nil)
		if !strings.Contains(body, `id="open-concerns">1<`) || strings.Contains(body, "ada") {
			t.Errorf("dashboard: %s", body)
		}
		st, _, body := b.do("GET", "/concerns", nil)
		if st != http.StatusOK || !strings.Contains(body, "someone is upsetting me") || !strings.Contains(body, ">new<") {
			t.Fatalf("list: %d %s", st, body)
		}
		id := fmt.Sprint(f.concern.ID)
		if st, _, _ = b.do("GET", "/concerns/"+id, nil); st != http.StatusOK {
			t.Fatalf("open: %d", st)
		}
		if !f.audited("concern.read", "concern:"+id) || !f.audited("console.concern.view", "user:ada") {
			t.Error("opening a concern is not audited")
		}
		if st, loc, _ := b.post("/concerns/"+id+"/status", url.Values{"status": {"in-progress"}}); st != http.StatusSeeOther || loc != "/concerns/"+id+"?done=status" {
			t.Errorf("in progress: %d %s", st, loc)
		}
		if st, _, _ := b.post("/concerns/"+id+"/notes", url.Values{"note": {"Spoke to <b>Ada</b>'s teacher."}}); st != http.StatusSeeOther {
			t.Errorf("note: %d", st)
		}
		b.post("/concerns/"+id+"/notes", url.Values{"note": {"Parents called."}})
		if st, _, _ := b.post("/concerns/"+id+"/notes", url.Values{"note": {"  "}}); st != http.StatusUnprocessableEntity {
			t.Errorf("an empty note: %d", st)
		}
		if st, _, _ := b.post("/concerns/"+id+"/status", url.Values{"status": {"deleted"}}); st != http.StatusUnprocessableEntity {
			t.Errorf("a bad status: %d", st)
		}
		_, _, body = b.do("GET", "/concerns/"+id, nil)
		i, j := strings.Index(body, "Spoke to &lt;b&gt;Ada&lt;/b&gt;&#39;s teacher."), strings.Index(body, "Parents called.")
		if i < 0 || j < i || !strings.Contains(body, `<span class="state">in progress</span>`) {
			t.Errorf("concern page: %s", body)
		}
		b.post("/concerns/"+id+"/status", url.Values{"status": {"closed"}})
		_, _, body = b.do("GET", "/concerns", nil)
		if strings.Contains(body, "someone is upsetting me") {
			t.Error("a closed concern is still listed as open")
		}
		_, _, body = b.do("GET", "/concerns?status=closed", nil)
		if !strings.Contains(body, "someone is upsetting me") {
			t.Error("the closed concern is not under closed")
		}
		if _, _, body = b.do("GET", "/", nil); !strings.Contains(body, `id="open-concerns">0<`) {
			t.Error("the dashboard still counts the closed concern")
		}
	})
}

// TestDashboardIllegal: attempts on an illegal category are counted on
// the safeguarding roles' dashboard without a name, the link leading to
// the audited activity search.
func TestDashboardIllegal(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	f.logEvents(ev(f.clk.Now().Add(-time.Hour), "ada", "10.20.0.7", "abuse.example", "block", "illegal"),
		ev(f.clk.Now().Add(-time.Hour), "ada", "10.20.0.7", "abuse.example", "block", "illegal"))
	b := f.browser()
	b.signIn("r-dsl", "")
	_, _, body := b.do("GET", "/", nil)
	if !strings.Contains(body, `id="illegal-attempts">2<`) || strings.Contains(body, "ada") || !strings.Contains(body, "/activity?category=illegal") {
		t.Errorf("dashboard: %s", body)
	}
	t2 := f.browser()
	t2.signIn("r-teacher", "")
	if _, _, body := t2.do("GET", "/", nil); strings.Contains(body, "illegal-attempts") {
		t.Error("a teacher sees the illegal count")
	}
}
