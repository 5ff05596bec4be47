package console

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"schoolgate/internal/report"
)

// governorsView is the governors' report page: the period form, the
// report (nil when the form is wrong) and its chart.
type governorsView struct {
	Form    reportForm
	Terms   []string
	Error   *FieldError
	Report  *report.Report
	Chart   report.Chart
	PDF     string // the download's address
	Promise string
}

func (governorsView) title() string { return "Governors' report" }

// governorsReport shows the anonymised report for a period. It names
// nobody; the view is audited all the same (who read which period).
func (c *Console) governorsReport(w http.ResponseWriter, r *http.Request, v *visit) {
	now := c.now()
	f := readReportForm(r.URL.Query())
	view := governorsView{Form: f, Terms: termChoices(now.In(c.location())), PDF: "/reports/governors.pdf" + f.Query(), Promise: report.Anonymity}
	p, fe := f.Period(now, c.location())
	if fe != nil {
		view.Error = fe
		c.render(w, r, http.StatusUnprocessableEntity, "reports_governors", v, view)
		return
	}
	rep, ok := c.governors(w, r, v, p, "html")
	if !ok {
		return
	}
	view.Report, view.Chart = rep, rep.Blocked.Weekly.Chart()
	c.render(w, r, http.StatusOK, "reports_governors", v, view)
}

// governorsPDF is the same report as a PDF download.
func (c *Console) governorsPDF(w http.ResponseWriter, r *http.Request, v *visit) {
	p, fe := readReportForm(r.URL.Query()).Period(c.now(), c.location())
	if fe != nil {
		c.render(w, r, http.StatusUnprocessableEntity, "error", v, errorView{Title: "Governors' report", Message: fe.Error()})
		return
	}
	rep, ok := c.governors(w, r, v, p, "pdf")
	if !ok {
		return
	}
	c.writePDF(w, r, rep, func(err error) { c.fail(w, r, v, err) })
}

// governors computes the report for the signed-in person and records
// the view; on failure it has answered.
func (c *Console) governors(w http.ResponseWriter, r *http.Request, v *visit, p report.Period, format string) (*report.Report, bool) {
	a := v.actor
	if a.Site == "" { // the visit's actor is the site's (config site.id)
		a.Site = c.snap().Config().Site.ID
	}
	rep, err := c.reports.Governors(r.Context(), a, p)
	if err == nil {
		err = c.auditVisit(r, v, "report.governors", "report:governors", map[string]any{"from": p.From.UTC(), "to": p.To.UTC(), "format": format})
	}
	if err != nil {
		if isAPI(r.Pattern) {
			c.apiDomainError(w, r, err, "")
		} else {
			c.fail(w, r, v, err)
		}
		return nil, false
	}
	return rep, true
}

// writePDF renders rep as a PDF download.
func (c *Console) writePDF(w http.ResponseWriter, r *http.Request, rep *report.Report, fail func(error)) {
	var buf bytes.Buffer
	if err := rep.WritePDF(&buf); err != nil {
		fail(err)
		return
	}
	name := fmt.Sprintf("governors-report-%s-to-%s.pdf", rep.From.Format(time.DateOnly), rep.To.Add(-time.Nanosecond).Format(time.DateOnly))
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
