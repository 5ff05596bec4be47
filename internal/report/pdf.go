package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
)

// PDF layout, in points on A4 portrait.
const (
	pdfMargin = 40.0
	pdfWidth  = 595.28 - 2*pdfMargin
	pdfBottom = 841.89 - 50
	pdfRowH   = 15.0
	pdfCountW = 70.0
)

// WritePDF writes the report as a PDF: its tables and the weekly chart,
// drawn (not an image), in the PDF core fonts.
func (rep *Report) WritePDF(w io.Writer) error {
	p := fpdf.New("P", "pt", "A4", "")
	tr := p.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	d := &pdfDoc{p: p, tr: tr}
	p.SetTitle("Governors' report: "+rep.Period, true)
	p.SetCreator("Schoolgate", true)
	p.SetCreationDate(rep.Generated)
	p.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	p.SetAutoPageBreak(true, 841.89-pdfBottom)
	p.AliasNbPages("{nb}")
	p.SetFooterFunc(func() {
		p.SetY(-36)
		p.SetFont("Helvetica", "", 8)
		p.SetTextColor(110, 110, 110)
		p.CellFormat(pdfWidth/2, 10, tr(rep.School+": governors' report, "+rep.Period), "", 0, "L", false, 0, "")
		p.CellFormat(pdfWidth/2, 10, fmt.Sprintf("Anonymised. Page %d of {nb}", p.PageNo()), "", 0, "R", false, 0, "")
	})
	p.AddPage()

	p.SetFont("Helvetica", "B", 18)
	p.SetTextColor(20, 40, 80)
	p.CellFormat(pdfWidth, 24, tr("Governors' report: online safety and filtering"), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 11)
	p.SetTextColor(0, 0, 0)
	p.CellFormat(pdfWidth, 15, tr(rep.School), "", 1, "L", false, 0, "")
	p.CellFormat(pdfWidth, 15, tr(rep.Heading()), "", 1, "L", false, 0, "")
	p.SetFont("Helvetica", "", 9)
	p.SetTextColor(90, 90, 90)
	p.CellFormat(pdfWidth, 13, tr("Prepared by Schoolgate on "+rep.Generated.Format("2 January 2006 at 15:04")), "", 1, "L", false, 0, "")
	p.Ln(6)
	p.SetFillColor(238, 243, 250)
	p.SetTextColor(0, 0, 0)
	p.MultiCell(pdfWidth, 12, tr(Anonymity), "1", "L", true)
	p.Ln(8)

	d.heading("1. Incidents recorded")
	d.table(rep.Incidents.ByCategory)
	d.table(rep.Incidents.ByStage)
	d.table(rep.Incidents.ByAction)
	d.heading("2. Sanctions")
	d.table(rep.Sanctions)
	d.heading("3. Attempts on blocked categories")
	d.table(rep.Blocked.ByCategory)
	d.chart("Blocked attempts by category and week", rep.Blocked.Weekly.Chart())
	d.heading("4. Changes to the filtering")
	d.table(rep.Changes.Requests)
	d.table(rep.Changes.Exceptions)
	d.table(rep.Changes.PolicyChanges)
	d.exceptions(rep.Changes.PolicyExceptions)
	d.heading("5. Acceptable use")
	d.aua(rep.AUA)
	d.heading("6. Filtering checks and reviews")
	d.checks(rep.Checks)
	return p.Output(w)
}

// Heading is the period's name, with its dates when the name is not
// already them.
func (rep *Report) Heading() string {
	if rep.Period == rep.Dates {
		return rep.Period
	}
	return rep.Period + ": " + rep.Dates
}

// Anonymity is the report's promise, printed at its head.
const Anonymity = "This report names nobody: no pupils, staff, usernames, addresses or web sites visited, and nothing written in an incident's record. " +
	"Any count from 1 to 4 shows as \"fewer than 5\". A figure from which such a count could be worked out (by taking the other figures from a total) shows as \"withheld\"."

type pdfDoc struct {
	p  *fpdf.Fpdf
	tr func(string) string
}

// room starts a new page unless h points fit on this one.
func (d *pdfDoc) room(h float64) {
	if d.p.GetY()+h > pdfBottom {
		d.p.AddPage()
	}
}

func (d *pdfDoc) heading(s string) {
	d.room(60)
	d.p.Ln(4)
	d.p.SetFont("Helvetica", "B", 13)
	d.p.SetTextColor(20, 40, 80)
	d.p.CellFormat(pdfWidth, 18, d.tr(s), "B", 1, "L", false, 0, "")
	d.p.SetTextColor(0, 0, 0)
	d.p.Ln(4)
}

func (d *pdfDoc) caption(t string, note string) {
	d.p.SetFont("Helvetica", "B", 10)
	d.p.CellFormat(pdfWidth, 14, d.tr(t), "", 1, "L", false, 0, "")
	if note != "" {
		d.p.SetFont("Helvetica", "I", 8)
		d.p.SetTextColor(90, 90, 90)
		d.p.MultiCell(pdfWidth, 10, d.tr(note), "", "L", false)
		d.p.SetTextColor(0, 0, 0)
	}
}

func (d *pdfDoc) notRecorded(s string) {
	d.p.SetFont("Helvetica", "I", 9)
	d.p.SetFillColor(250, 245, 225)
	d.p.MultiCell(pdfWidth, 13, d.tr(s), "1", "L", true)
	d.p.Ln(8)
}

func (d *pdfDoc) table(t Table) {
	d.room(float64(len(t.Rows)+3) * pdfRowH)
	d.caption(t.Title, t.Note)
	if t.NotRecorded != "" {
		d.notRecorded(t.NotRecorded)
		return
	}
	d.p.SetFont("Helvetica", "", 9)
	if len(t.Rows) == 0 {
		d.p.SetFont("Helvetica", "I", 9)
		d.p.CellFormat(pdfWidth, pdfRowH, "None in this period.", "", 1, "L", false, 0, "")
	}
	for i, r := range t.Rows {
		d.p.SetFillColor(246, 246, 246)
		fill := i%2 == 1
		d.p.CellFormat(pdfWidth-pdfCountW, pdfRowH, d.tr(clip(r.Label, 110)), "", 0, "L", fill, 0, "")
		d.p.CellFormat(pdfCountW, pdfRowH, r.Count.String(), "", 1, "R", fill, 0, "")
	}
	d.p.SetFont("Helvetica", "B", 9)
	d.p.CellFormat(pdfWidth-pdfCountW, pdfRowH, "Total", "T", 0, "L", false, 0, "")
	d.p.CellFormat(pdfCountW, pdfRowH, t.Total.String(), "T", 1, "R", false, 0, "")
	d.p.Ln(8)
}

func (d *pdfDoc) chart(title string, c Chart) {
	d.room(c.Height + 20)
	d.caption(title, "")
	x0, y0 := pdfMargin, d.p.GetY()
	d.p.SetLineWidth(0.4)
	d.p.SetDrawColor(180, 180, 180)
	for _, r := range c.Rules {
		d.p.Line(x0+r.X1, y0+r.Y1, x0+r.X2, y0+r.Y2)
	}
	for _, b := range c.Bars {
		if b.Suppressed {
			d.p.SetDrawColor(120, 120, 120)
			d.p.Rect(x0+b.X, y0+b.Y, b.W, b.H, "D")
			continue
		}
		d.p.SetFillColor(46, 94, 170)
		d.p.Rect(x0+b.X, y0+b.Y, b.W, b.H, "F")
	}
	for _, t := range c.Texts {
		d.p.SetFont("Helvetica", "", t.Size)
		s := d.tr(t.Text)
		x := x0 + t.X
		switch t.Anchor {
		case "end":
			x -= d.p.GetStringWidth(s)
		case "middle":
			x -= d.p.GetStringWidth(s) / 2
		}
		d.p.Text(x, y0+t.Y, s)
	}
	d.p.SetY(y0 + c.Height + 8)
}

func (d *pdfDoc) exceptions(list []PolicyException) {
	d.room(60)
	d.caption("Exceptions written in the policy file, with their reasons", "")
	d.p.SetFont("Helvetica", "", 9)
	if len(list) == 0 {
		d.p.CellFormat(pdfWidth, pdfRowH, "None.", "", 1, "L", false, 0, "")
	}
	for _, e := range list {
		d.p.MultiCell(pdfWidth, 12, d.tr(e.Describe()), "", "L", false)
	}
	d.p.Ln(8)
}

// Describe is the exception in a sentence.
func (e PolicyException) Describe() string {
	var b strings.Builder
	hosts := "sites"
	if e.Hosts == 1 {
		hosts = "site"
	}
	fmt.Fprintf(&b, "%s: %d %s", strings.ToUpper(e.Verdict[:min(1, len(e.Verdict))])+e.Verdict[min(1, len(e.Verdict)):], e.Hosts, hosts)
	if len(e.Groups) > 0 {
		fmt.Fprintf(&b, " for %s", strings.Join(e.Groups, ", "))
	}
	if e.Until != "" {
		fmt.Fprintf(&b, " until %s", e.Until)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, ". Reason: %s", e.Reason)
	}
	return b.String()
}

func (d *pdfDoc) aua(s AUASection) {
	d.room(float64(len(s.Rows)+4) * pdfRowH)
	d.caption("Acceptable-use agreement accepted, by role", s.Note)
	if len(s.Rows) == 0 {
		d.p.Ln(6)
		return
	}
	cols := []struct {
		title string
		w     float64
	}{{"Role", pdfWidth - 4*85}, {"Accepted", 85}, {"Not yet", 85}, {"People", 85}, {"Share", 85}}
	d.p.SetFont("Helvetica", "B", 9)
	for i, c := range cols {
		align := "R"
		if i == 0 {
			align = "L"
		}
		d.p.CellFormat(c.w, pdfRowH, c.title, "B", 0, align, false, 0, "")
	}
	d.p.Ln(-1)
	d.p.SetFont("Helvetica", "", 9)
	for _, r := range s.Rows {
		share := r.Share
		if share == "" {
			share = "-"
		}
		for i, v := range []string{r.Role, r.Accepted.String(), r.Outstanding.String(), r.People.String(), share} {
			align := "R"
			if i == 0 {
				align = "L"
			}
			d.p.CellFormat(cols[i].w, pdfRowH, d.tr(v), "", 0, align, false, 0, "")
		}
		d.p.Ln(-1)
	}
	d.p.Ln(8)
}

func (d *pdfDoc) checks(c ChecksSection) {
	if c.NotRecorded != "" {
		d.notRecorded(c.NotRecorded)
		return
	}
	d.table(c.Checks)
	d.p.SetFont("Helvetica", "", 9)
	last := c.LastReview
	if last == "" {
		last = "none in this period"
	}
	d.p.CellFormat(pdfWidth, pdfRowH, d.tr("Annual reviews of filtering and monitoring: "+c.Reviews.String()+". Last review: "+last+"."), "", 1, "L", false, 0, "")
}
