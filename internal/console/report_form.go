package console

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"schoolgate/internal/report"
)

// reportForm is the governors' report's period: a term preset
// (autumn-2026) or from and to (RFC 3339 or a date, site time). Neither:
// the current term.
type reportForm struct {
	Term, From, To string
}

func readReportForm(q url.Values) reportForm {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return reportForm{Term: g("term"), From: g("from"), To: g("to")}
}

// Period checks the form and gives the period it asks for.
func (f reportForm) Period(now time.Time, loc *time.Location) (report.Period, *FieldError) {
	switch {
	case f.Term != "" && (f.From != "" || f.To != ""):
		return report.Period{}, fieldErr("term", "give a term or from and to, not both")
	case f.Term != "":
		p, err := report.Term(f.Term, loc)
		if err != nil {
			return p, fieldErr("term", "%s", strings.TrimPrefix(err.Error(), report.ErrPeriod.Error()+": "))
		}
		return p, nil
	case f.From != "" || f.To != "":
		p, err := report.Between(f.From, f.To, loc)
		if err != nil {
			field := "from"
			if strings.Contains(err.Error(), ": to") || f.From != "" && f.To == "" {
				field = "to"
			}
			return p, fieldErr(field, "%s", strings.TrimPrefix(err.Error(), report.ErrPeriod.Error()+": "))
		}
		return p, nil
	}
	p, err := report.Term(report.TermOf(now.In(loc)), loc)
	if err != nil {
		return p, fieldErr("term", "%v", errors.Unwrap(err))
	}
	return p, nil
}

// Query is the form as a query string (for the PDF link).
func (f reportForm) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"term": f.Term, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// termChoices are the terms the page offers: this school year's and the
// last.
func termChoices(now time.Time) []string {
	y := now.Year()
	if now.Month() < time.September {
		y--
	}
	var out []string
	for _, year := range []int{y, y - 1} {
		out = append(out, termName("autumn", year), termName("spring", year+1), termName("summer", year+1))
	}
	return out
}

func termName(season string, year int) string {
	return season + "-" + time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")
}
