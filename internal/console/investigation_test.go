package console

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/store"
)

// investigation records an incident about the pupil ada and opens its
// investigation (by r-dsl) with one site entry and one screenshot; it
// returns the incident's and the investigation's ids.
func (f *fixture) investigation() (int64, int64) {
	t := f.t
	t.Helper()
	ctx := context.Background()
	in, err := f.st.CreateIncident(ctx, store.Actor{Name: "r-teacher"}, store.Incident{Site: "school", OccurredAt: f.clk.Now().Add(-time.Hour),
		Category: "pornography", Summary: "Adult searches in ICT", People: []store.IncidentPerson{{Username: "ada", Roles: "pupil"}}})
	if err != nil {
		t.Fatal(err)
	}
	by := store.Actor{Name: "r-dsl"}
	inv, err := f.st.OpenInvestigation(ctx, by, store.Investigation{Site: "school", IncidentID: in.ID, Group: "Online safety group", Date: "2026-03-09",
		ReasonKind: "inappropriate-content", Reason: "Reported by the teacher", ComputerName: "SAFEGUARD-01", ComputerLocation: "DSL office"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.st.AddInvestigationSite(ctx, by, "school", inv.ID, store.InvestigationSite{Address: "adult.example", ConcernKind: "inappropriate-content", Concern: "Images"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddInvestigationScreenshot(ctx, by, "school", inv.ID, e.ID, "image/png", testPNG(t)); err != nil {
		t.Fatal(err)
	}
	return in.ID, inv.ID
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uploadShot posts a screenshot for a site entry with the session's token
// (status 0 when the connection failed).
func (b *browser) uploadShot(path, entry string, content []byte) (int, string) {
	b.f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf)
	mw.WriteField("entry", entry)
	fw, _ := mw.CreateFormFile("screenshot", "shot.png")
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", b.f.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.hc.Do(req)
	if err != nil {
		return 0, err.Error() // the server may close an oversized upload before it is all sent
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestInvestigationPages walks the record through the console on both
// databases: the dsl opens it from an incident, adds a site, attaches a
// screenshot (a non-image is refused) and views it (audited), signs with
// their password; alone they cannot conclude; slt signs (a wrong
// password first) and concludes; the print form shows both signatures.
// A second incident opened for possible child sexual abuse material
// shows the referral steps with attachments disabled and records the
// referral on the incident.
func TestInvestigationPages(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			f.people()
			ctx := context.Background()
			in, err := f.st.CreateIncident(ctx, store.Actor{Name: "r-teacher"}, store.Incident{Site: "school", OccurredAt: f.clk.Now().Add(-time.Hour),
				Category: "pornography", Summary: "Adult searches in ICT", People: []store.IncidentPerson{{Username: "ada", Roles: "pupil"}}})
			if err != nil {
				t.Fatal(err)
			}
			dsl := f.browser()
			dsl.signIn("r-dsl", "")
			newPath := fmt.Sprintf("/incidents/%d/investigation", in.ID)
			if st, _, body := dsl.do("GET", newPath, nil); st != http.StatusOK || !strings.Contains(body, "Adult searches in ICT") || !strings.Contains(body, `id="computer_name"`) {
				t.Fatalf("open form: %d", st)
			}
			st, _, body := dsl.post(newPath, url.Values{"group": {"Online safety group"}, "date": {"2026-03-09"}, "reason_kind": {"inappropriate-content"}, "reason": {"Reported"}})
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Computer_name") {
				t.Fatalf("no computer: %d %s", st, body)
			}
			st, loc, _ := dsl.post(newPath, url.Values{"group": {"Online safety group"}, "date": {"2026-03-09"}, "reason_kind": {"inappropriate-content"},
				"reason": {"Reported by the teacher"}, "computer_name": {"SAFEGUARD-01"}, "computer_location": {"DSL office"}})
			if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/investigations/") {
				t.Fatalf("open: %d %s", st, loc)
			}
			rec := strings.TrimSuffix(loc, "?done=open")
			if got, _ := f.st.GetIncident(ctx, "school", in.ID); got.Status != store.IncidentInvestigating {
				t.Errorf("incident status %q", got.Status)
			}
			if st, loc, _ := dsl.do("GET", newPath, nil); st != http.StatusSeeOther || loc != rec {
				t.Errorf("the incident's record again: %d %s", st, loc)
			}
			dsl.do("GET", rec, nil)
			if st, _, body := dsl.post(rec+"/sites", url.Values{"address": {"https://adult.example/x"}, "concern_kind": {"inappropriate-content"}, "concern": {"Images"}}); st != http.StatusSeeOther {
				t.Fatalf("add site: %d %s", st, body)
			}
			got, err := f.st.GetInvestigation(ctx, "school", 1)
			if err != nil || len(got.Sites) != 1 {
				t.Fatalf("site: %+v %v", got, err)
			}
			entry := fmt.Sprint(got.Sites[0].ID)
			if st, body := dsl.uploadShot(rec+"/screenshots", entry, []byte("<svg>not an image</svg>")); st != http.StatusUnprocessableEntity || !strings.Contains(body, "not a PNG") {
				t.Errorf("not an image: %d", st)
			}
			img := testPNG(t)
			if st, body := dsl.uploadShot(rec+"/screenshots", entry, append(append([]byte{}, img...), make([]byte, 6<<20)...)); st != http.StatusUnprocessableEntity || !strings.Contains(body, "larger than 5 MiB") {
				t.Errorf("a 6 MiB upload: %d", st)
			}
			if st, _ := dsl.uploadShot(rec+"/screenshots", entry, make([]byte, 12<<20)); st == http.StatusSeeOther {
				t.Errorf("a 12 MiB upload accepted")
			}
			if st, _ := dsl.uploadShot(rec+"/screenshots", entry, img); st != http.StatusSeeOther {
				t.Fatalf("upload: %d", st)
			}
			_, _, page := dsl.do("GET", rec, nil)
			if !strings.Contains(page, "/screenshots/1") {
				t.Fatalf("screenshot not linked:\n%s", page)
			}
			if st, _, b := dsl.do("GET", rec+"/screenshots/1", nil); st != http.StatusOK || b != string(img) {
				t.Errorf("screenshot view: %d", st)
			}
			views, _ := f.st.ListAudit(ctx, store.AuditFilter{Action: "investigation.screenshot.view"})
			if len(views) != 1 || views[0].Actor != "r-dsl" {
				t.Errorf("screenshot views audited: %+v", views)
			}
			// Sign; alone, no conclusion.
			dsl.do("GET", rec, nil)
			if st, _, _ := dsl.post(rec+"/sign", url.Values{"position": {"DSL"}, "secret": {testPassword}}); st != http.StatusSeeOther {
				t.Fatalf("dsl signs: %d", st)
			}
			st, _, body = dsl.post(rec+"/conclude", url.Values{"conclusion": {"Substance"}, "action": {"Parents informed"}})
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Two different reviewers must each sign") {
				t.Errorf("one reviewer concludes: %d", st)
			}
			if st, _, body := dsl.post(rec+"/sign", url.Values{"position": {"DSL"}, "secret": {testPassword}}); st != http.StatusUnprocessableEntity || strings.Contains(body, `id="sign-form"`) {
				t.Errorf("dsl signs twice: %d", st)
			}
			head := f.browser()
			head.signIn("r-slt", "")
			head.do("GET", rec, nil)
			if st, _, body := head.post(rec+"/sign", url.Values{"position": {"Headteacher"}, "secret": {"wrong"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "not right") {
				t.Errorf("wrong password: %d", st)
			}
			if st, _, _ := head.post(rec+"/sign", url.Values{"position": {"Headteacher"}, "secret": {testPassword}}); st != http.StatusSeeOther {
				t.Fatalf("slt signs: %d", st)
			}
			if st, _, _ := head.post(rec+"/conclude", url.Values{"conclusion": {"Substance"}, "action": {"Parents informed"}}); st != http.StatusSeeOther {
				t.Fatalf("conclude: %d", st)
			}
			_, _, printed := head.do("GET", rec+"/print", nil)
			for _, want := range []string{"Responding to incidents of misuse – record form", "Person dsl", "Person slt", "Headteacher", "SAFEGUARD-01, DSL office", "adult.example/x", "Parents informed"} {
				if !strings.Contains(printed, want) {
					t.Errorf("print form lacks %q", want)
				}
			}
			// The API's record, for another reviewer role.
			if st, out := f.api("GET", "/api/v1"+rec, f.token("r-esafety-lead"), ""); st != http.StatusOK || !strings.Contains(out, `"state": "concluded"`) ||
				!strings.Contains(out, `"method": "password"`) || !strings.Contains(out, `"sha256"`) || strings.Contains(out, `"content"`) {
				t.Errorf("API record: %d %s", st, out)
			}
			// A teacher is refused the record.
			teacher := f.browser()
			teacher.signIn("r-teacher", "")
			if st, _, body := teacher.do("GET", rec, nil); st != http.StatusForbidden || strings.Contains(body, "adult.example") {
				t.Errorf("teacher reads the record: %d", st)
			}

			// The illegal path.
			in2, err := f.st.CreateIncident(ctx, store.Actor{Name: "r-teacher"}, store.Incident{Site: "school", OccurredAt: f.clk.Now().Add(-time.Hour),
				Category: "child-sexual-abuse-material", Summary: "Images reported", People: []store.IncidentPerson{{Username: "ada", Roles: "pupil"}}})
			if err != nil {
				t.Fatal(err)
			}
			dsl.do("GET", fmt.Sprintf("/incidents/%d/investigation", in2.ID), nil)
			_, loc, _ = dsl.post(fmt.Sprintf("/incidents/%d/investigation", in2.ID), url.Values{"group": {"Online safety group"}, "date": {"2026-03-09"},
				"reason_kind": {"child-sexual-abuse-material"}, "reason": {"Images reported"}, "computer_name": {"SAFEGUARD-01"}, "computer_location": {"DSL office"}})
			rec2 := strings.TrimSuffix(loc, "?done=open")
			_, _, page = dsl.do("GET", rec2, nil)
			for _, want := range []string{`id="stopped"`, "https://report.iwf.org.uk/", "https://www.ceop.police.uk/ceop-reporting/", `<fieldset id="screenshot-fieldset" disabled>`, `id="referral-form"`} {
				if !strings.Contains(page, want) {
					t.Errorf("stopped record lacks %s", want)
				}
			}
			if st, _, _ := dsl.post(rec2+"/referrals", url.Values{"to": {"Police"}, "reference": {"CAD 77"}, "when": {"2026-03-09T09:45"}}); st != http.StatusSeeOther {
				t.Fatalf("referral: %d", st)
			}
			entries, _ := f.st.IncidentEntries(ctx, "school", in2.ID)
			if last := entries[len(entries)-1]; last.Kind != "referral" || last.Text != "Police" || !strings.Contains(last.Data, "CAD 77") {
				t.Errorf("incident referral: %+v", last)
			}
			if _, _, page = dsl.do("GET", rec2, nil); !strings.Contains(page, "CAD 77") {
				t.Errorf("referral not shown")
			}
		})
	}
}
