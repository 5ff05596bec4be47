package console

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"schoolgate/internal/identity"
)

// TestSubjectAccessPages: only the dsl; the review needs a fresh code;
// withholding needs a reason; the release is a ZIP naming other people
// by role, once.
func TestSubjectAccessPages(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		slt := f.browser()
		slt.signIn("r-slt", "")
		if st, _, _ := slt.do("GET", "/subject-access", nil); st != http.StatusForbidden {
			t.Errorf("slt: %d", st)
		}
		b := f.browser()
		secret := b.signIn("r-dsl", "")
		if st, _, body := b.do("GET", "/", nil); st != http.StatusOK || !strings.Contains(body, `href="/subject-access"`) {
			t.Fatalf("nav lacks subject access: %d", st)
		}
		if st, _, _ := b.do("GET", "/subject-access", nil); st != http.StatusOK {
			t.Fatalf("list: %d", st)
		}
		if st, _, body := b.post("/subject-access", url.Values{"username": {"nobody"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "nobody") {
			t.Errorf("unknown person: %d", st)
		}
		st, loc, _ := b.post("/subject-access", url.Values{"username": {"ada"}})
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/subject-access/") {
			t.Fatalf("open: %d %s", st, loc)
		}
		_, _, body := b.do("GET", loc, nil)
		if !strings.Contains(body, `action="`+loc+`/confirm"`) || strings.Contains(body, "social.example") {
			t.Fatalf("the review shows before a fresh code:\n%s", body)
		}
		if st, _, _ := b.post(loc+"/confirm", url.Values{"code": {"000000"}}); st != http.StatusUnprocessableEntity {
			t.Errorf("wrong code: %d", st)
		}
		f.clk.Add(identity.TOTPStep)
		code, _ := identity.TOTPCodeAt(secret, f.clk.Now())
		if st, _, _ := b.post(loc+"/confirm", url.Values{"code": {code}}); st != http.StatusSeeOther {
			t.Fatalf("confirm: %d", st)
		}
		st, _, body = b.do("GET", loc, nil)
		if st != http.StatusOK || !strings.Contains(body, "social.example") || !strings.Contains(body, "games.example") {
			t.Fatalf("review: %d\n%s", st, body)
		}
		if !f.audited("subject.review", strings.TrimPrefix(strings.ReplaceAll(loc, "/subject-access/", "subject-request:"), "")) {
			t.Error("the review is not audited")
		}
		item := fmt.Sprintf("concern:%d", f.concern.ID)
		if st, _, _ := b.post(loc+"/withhold", url.Values{"item": {item}, "exemption": {"serious-harm"}}); st != http.StatusUnprocessableEntity {
			t.Errorf("no reason: %d", st)
		}
		if st, _, _ := b.post(loc+"/withhold", url.Values{"item": {item}, "exemption": {"serious-harm"}, "reason": {"under investigation"}}); st != http.StatusSeeOther {
			t.Fatalf("withhold: %d", st)
		}
		req, _ := http.NewRequest("POST", f.srv.URL+loc+"/release", strings.NewReader(url.Values{"csrf": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var zipBody bytes.Buffer
		zipBody.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("release: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		zr, err := zip.NewReader(bytes.NewReader(zipBody.Bytes()), int64(zipBody.Len()))
		if err != nil || len(zr.File) != 2 {
			t.Fatalf("zip: %v", err)
		}
		rc, _ := zr.File[0].Open()
		var js bytes.Buffer
		js.ReadFrom(rc)
		if !strings.Contains(js.String(), "social.example") || strings.Contains(js.String(), "upsetting") || !strings.Contains(js.String(), item) {
			t.Errorf("export.json: %s", js.String())
		}
		if st, _, _ := b.post(loc+"/release", nil); st != http.StatusConflict {
			t.Errorf("second release: %d", st)
		}
	})
}
