package console

import (
	"net/http"

	"schoolgate/internal/report"
)

// apiGovernorsReport is the governors' report as JSON, or with
// format=pdf as the PDF, for from and to (RFC 3339 or a date) or a term;
// neither: the current term.
func (c *Console) apiGovernorsReport(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	for k := range q {
		if k != "from" && k != "to" && k != "term" && k != "format" {
			apiField(w, fieldErr(k, "unknown parameter (want from, to, term, format)"))
			return
		}
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "pdf" {
		apiField(w, fieldErr("format", "%q: want json or pdf", format))
		return
	}
	p, fe := readReportForm(q).Period(c.now(), c.location())
	if fe != nil {
		apiField(w, fe)
		return
	}
	if format == "" {
		format = "json"
	}
	rep, ok := c.governors(w, r, v, p, "api-"+format)
	if !ok {
		return
	}
	if format == "pdf" {
		c.writePDF(w, r, rep, func(err error) { c.apiFail(w, r, err) })
		return
	}
	writeJSON(w, http.StatusOK, struct {
		*report.Report
		Anonymity string `json:"anonymity"`
	}{rep, report.Anonymity})
}
