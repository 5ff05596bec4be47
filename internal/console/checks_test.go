package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

// TestChecksPages: technical records a failed check by hand, which
// raises a finding shown on their dashboard and resolved on the
// findings page; the slt records the annual review, which clears the
// dashboard's warning until eleven months on; a governor reads the
// checks and sees the review's date but has no form and is refused a
// write; both databases.
func TestChecksPages(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		tech := f.browser()
		tech.signIn("r-technical", "")
		if _, _, home := tech.do("GET", "/", nil); !strings.Contains(home, `id="review-warning"`) || !strings.Contains(home, "No annual review recorded") ||
			!strings.Contains(home, `id="open-findings">0<`) {
			t.Fatalf("technical's dashboard before any review:\n%s", home)
		}
		tech.do("GET", "/checks", nil)
		st, loc, body := tech.post("/checks", url.Values{"target": {"ICT suite PC 4"}, "tested": {"gambling as a Year 7 pupil"}, "result": {"maybe"}})
		if st != http.StatusUnprocessableEntity || !strings.Contains(body, "choose pass, fail or partial") {
			t.Fatalf("a bad result: %d %s", st, body)
		}
		st, loc, _ = tech.post("/checks", url.Values{"at": {"2026-03-09T09:30"}, "target": {"ICT suite PC 4"}, "tested": {"gambling as a Year 7 pupil"},
			"result": {"fail"}, "actions": {"reported to the provider"}})
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/checks/") {
			t.Fatalf("record: %d %s", st, loc)
		}
		_, _, page := tech.do("GET", loc, nil)
		if !strings.Contains(page, "It raised a finding") || !strings.Contains(page, "recorded by hand") || !strings.Contains(page, "reported to the provider") {
			t.Fatalf("check page:\n%s", page)
		}
		// A correction is a new check naming the first, which stays, marked.
		if !strings.Contains(page, `id="correct-check"`) {
			t.Errorf("no correction link on the check page")
		}
		first := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checks/")
		if _, _, form := tech.do("GET", "/checks?corrects="+first, nil); !strings.Contains(form, `name="corrects" inputmode="numeric" value="`+first+`"`) {
			t.Errorf("the correction form is not filled in")
		}
		if st, _, body := tech.post("/checks", url.Values{"target": {"ICT suite PC 4"}, "tested": {"gambling"}, "result": {"partial"}, "corrects": {first}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "say why") {
			t.Errorf("a correction without a reason: %d", st)
		}
		st, _, _ = tech.post("/checks", url.Values{"at": {"2026-03-09T09:30"}, "target": {"ICT suite PC 4"}, "tested": {"gambling as a Year 7 pupil"},
			"result": {"partial"}, "corrects": {first}, "reason": {"one site only, not all"}})
		if st != http.StatusSeeOther {
			t.Fatalf("correction: %d", st)
		}
		if _, _, old := tech.do("GET", "/checks/"+first, nil); !strings.Contains(old, "Corrected by check") || strings.Contains(old, `id="correct-check"`) {
			t.Errorf("the corrected check does not say so")
		}
		if _, _, list := tech.do("GET", "/checks", nil); !strings.Contains(list, `class="superseded"`) {
			t.Errorf("the list does not mark the corrected check")
		}
		if _, _, home := tech.do("GET", "/", nil); !strings.Contains(home, `id="open-findings">2<`) {
			t.Errorf("the finding is not on technical's dashboard")
		}
		tech.do("GET", "/findings", nil)
		id := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/checks/")
		fs, err := f.c.chk.ListFindings(t.Context(), safeguarding.Actor{Username: "r-technical", Roles: []identity.Role{identity.RoleTechnical}, Site: config.DefaultSiteID}, true, 0)
		if err != nil || len(fs) != 2 {
			t.Fatalf("findings %+v %v (check %s)", fs, err, id)
		}
		if st, _, _ := tech.post("/findings/"+strconv.FormatInt(fs[0].ID, 10)+"/resolve", url.Values{"how": {""}}); st != http.StatusUnprocessableEntity {
			t.Errorf("resolve without saying how: %d", st)
		}
		if st, loc, _ := tech.post("/findings/"+strconv.FormatInt(fs[0].ID, 10)+"/resolve", url.Values{"how": {"provider added the sites"}}); st != http.StatusSeeOther || loc != "/findings?done=resolved" {
			t.Fatalf("resolve: %d %s", st, loc)
		}
		if _, _, home := tech.do("GET", "/", nil); !strings.Contains(home, `id="open-findings">1<`) {
			t.Errorf("a resolved finding still open on the dashboard")
		}

		slt := f.browser()
		slt.signIn("r-slt", "")
		slt.do("GET", "/reviews", nil)
		if st, _, body := slt.post("/reviews", url.Values{"held_on": {"2026-03-02"}, "slt": {"r-slt"}, "dsl": {"r-teacher"}, "reviewed": {"r"}, "decisions": {"d"}}); st != http.StatusUnprocessableEntity || !strings.Contains(body, "does not hold the dsl role") {
			t.Fatalf("a dsl without the role: %d %s", st, body)
		}
		if st, loc, body := slt.post("/reviews", url.Values{"held_on": {"2026-03-02"}, "slt": {"r-slt"}, "dsl": {"r-dsl"}, "technical": {"r-technical"},
			"governor_name": {"Mrs Chair"}, "reviewed": {"block lists, groups, the self-test"}, "decisions": {"keep games on warn"}}); st != http.StatusSeeOther || loc != "/reviews?done=review" {
			t.Fatalf("record review: %d %s %s", st, loc, body)
		}
		gov := f.browser()
		gov.signIn("r-governor", "")
		_, _, home := gov.do("GET", "/", nil)
		if !strings.Contains(home, `id="last-review">2026-03-02<`) || strings.Contains(home, `id="review-warning"`) || strings.Contains(home, `id="open-findings"`) {
			t.Errorf("governor's dashboard after the review:\n%s", home)
		}
		if st, _, body := gov.do("GET", "/checks", nil); st != http.StatusOK || strings.Contains(body, `id="check-form"`) || !strings.Contains(body, "ICT suite PC 4") {
			t.Errorf("governor's checks: %d", st)
		}
		if st, _, body := gov.do("GET", "/reviews", nil); st != http.StatusOK || strings.Contains(body, `id="review-form"`) || !strings.Contains(body, "Mrs Chair") {
			t.Errorf("governor's reviews: %d", st)
		}
		if st, _, _ := gov.post("/checks", url.Values{"target": {"x"}, "tested": {"y"}, "result": {"pass"}}); st != http.StatusForbidden {
			t.Errorf("governor records a check: %d", st)
		}
		teacher := f.browser()
		teacher.signIn("r-teacher", "")
		if st, _, _ := teacher.do("GET", "/checks", nil); st != http.StatusForbidden {
			t.Errorf("teacher reads checks: %d", st)
		}
		if _, _, home := teacher.do("GET", "/", nil); strings.Contains(home, "Filtering checks") {
			t.Errorf("the checks tile on a teacher's dashboard")
		}
		// Eleven months after the review the warning is back.
		f.clk.Add(335 * 24 * time.Hour)
		gov = f.browser()
		gov.signIn("r-governor", "")
		if _, _, home := gov.do("GET", "/", nil); !strings.Contains(home, `id="review-warning"`) || !strings.Contains(home, "The annual review is due") {
			t.Errorf("no warning eleven months on:\n%s", home)
		}
	})
}

// TestChecksAPI: POST /api/v1/checks records a check (422 for an
// unknown field or a bad result, 403 for a governor), GET lists the
// site's checks in a period.
func TestChecksAPI(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.people()
		tech, gov := f.token("r-technical"), f.token("r-governor")
		st, out := f.api("POST", "/api/v1/checks", tech, `{"target":"Wi-Fi","tested":"adult","result":"pass","colour":"red"}`)
		if st != http.StatusUnprocessableEntity || !strings.Contains(out, `"field": "colour"`) {
			t.Fatalf("unknown field: %d %s", st, out)
		}
		if st, out = f.api("POST", "/api/v1/checks", tech, `{"target":"Wi-Fi","tested":"adult","result":"ok"}`); st != http.StatusUnprocessableEntity || !strings.Contains(out, `"field": "result"`) {
			t.Fatalf("bad result: %d %s", st, out)
		}
		if st, out = f.api("POST", "/api/v1/checks", gov, `{"target":"Wi-Fi","tested":"adult","result":"pass"}`); st != http.StatusForbidden {
			t.Fatalf("governor writes: %d %s", st, out)
		}
		st, out = f.api("POST", "/api/v1/checks", tech, `{"at":"2026-03-09T08:00:00Z","target":"Wi-Fi","tested":"adult sites","result":"partial","actions":"raised with the provider"}`)
		var created struct {
			ID       int64   `json:"id"`
			Result   string  `json:"result"`
			Findings []int64 `json:"findings"`
		}
		if st != http.StatusCreated || json.Unmarshal([]byte(out), &created) != nil || created.ID == 0 || created.Result != "partial" || len(created.Findings) != 1 {
			t.Fatalf("create: %d %s", st, out)
		}
		var list struct {
			Checks []struct {
				ID       int64  `json:"id"`
				Result   string `json:"result"`
				Measured bool   `json:"measured"`
			} `json:"checks"`
		}
		st, out = f.api("GET", "/api/v1/checks?from=2026-03-09&to=2026-03-10", gov, "")
		if st != http.StatusOK || json.Unmarshal([]byte(out), &list) != nil || len(list.Checks) != 1 || list.Checks[0].ID != created.ID || list.Checks[0].Measured {
			t.Fatalf("governor lists: %d %s", st, out)
		}
		if st, out = f.api("GET", "/api/v1/checks?from=2026-03-10", gov, ""); st != http.StatusOK || !strings.Contains(out, `"checks": []`) {
			t.Errorf("a later period: %d %s", st, out)
		}
		if st, _ = f.api("GET", "/api/v1/checks?from=soon", gov, ""); st != http.StatusUnprocessableEntity {
			t.Errorf("a bad from: %d", st)
		}
	})
}
