package console

import (
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
)

// apiIncidentRow is an incident as the API shows it: current values
// (corrections applied), people as usernames (outsiders described).
// A restricted row (an incident about staff the caller only reported)
// has its number, dates and status alone.
type apiIncidentRow struct {
	ID         int64    `json:"id"`
	Restricted bool     `json:"restricted,omitempty"`
	OccurredAt string   `json:"occurred_at,omitempty"`
	Category   string   `json:"category,omitempty"`
	Summary    string   `json:"summary,omitempty"`
	People     []string `json:"people"`
	Outsiders  []string `json:"outsiders,omitempty"`
	AboutStaff bool     `json:"about_staff"`
	Status     string   `json:"status"`
	Outcome    string   `json:"outcome,omitempty"`
	ReportedBy string   `json:"reported_by"`
	ReportedAt string   `json:"reported_at"`
	ClosedAt   string   `json:"closed_at,omitempty"`
}

func toAPIIncident(v safeguarding.IncidentView) apiIncidentRow {
	row := apiIncidentRow{ID: v.ID, Restricted: v.Restricted, AboutStaff: v.AboutStaff, Status: v.Status, Outcome: v.Outcome,
		ReportedBy: v.ReportedBy, ReportedAt: v.ReportedAt.UTC().Format(time.RFC3339), People: []string{}}
	if !v.ClosedAt.IsZero() {
		row.ClosedAt = v.ClosedAt.UTC().Format(time.RFC3339)
	}
	if v.Restricted {
		return row
	}
	row.OccurredAt, row.Category, row.Summary = v.Current.OccurredAt.UTC().Format(time.RFC3339), v.Current.Category, v.Current.Summary
	for _, p := range v.People {
		if p.Username != "" {
			row.People = append(row.People, p.Username)
		} else {
			row.Outsiders = append(row.Outsiders, p.Description)
		}
	}
	return row
}

// apiIncidents lists the incidents the caller may see (filters: status,
// category, person, from, to: RFC 3339 or a date).
func (c *Console) apiIncidents(w http.ResponseWriter, r *http.Request, v *visit) {
	f, fe := readIncidentListForm(r.URL.Query()).Filter(c.location(), c.inc.Categories())
	if fe != nil {
		apiField(w, fe)
		return
	}
	list, err := c.inc.List(r.Context(), v.actor, f)
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	out := make([]apiIncidentRow, 0, len(list))
	for _, in := range list {
		out = append(out, toAPIIncident(in))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": out})
}

// apiIncidentBody records an incident.
type apiIncidentBody struct {
	OccurredAt string   `json:"occurred_at"`
	Category   string   `json:"category"`
	Summary    string   `json:"summary"`
	People     []string `json:"people"`
	Outsiders  []string `json:"outsiders"`
}

// Validate checks the body; the error names the field.
func (b apiIncidentBody) Validate(cats []safeguarding.IncidentCategory, now time.Time) (safeguarding.NewIncident, *FieldError) {
	var n safeguarding.NewIncident
	t, err := time.Parse(time.RFC3339, b.OccurredAt)
	switch {
	case b.OccurredAt == "":
		return n, fieldErr("occurred_at", "when did it happen? (RFC 3339)")
	case err != nil:
		return n, fieldErr("occurred_at", "%q is not an RFC 3339 time", b.OccurredAt)
	case t.After(now.Add(5 * time.Minute)):
		return n, fieldErr("occurred_at", "%s is in the future", b.OccurredAt)
	}
	if _, ok := safeguarding.IncidentCategoryNamed(cats, b.Category); !ok {
		return n, fieldErr("category", "no incident category %q (see /api/v1/incidents/categories)", b.Category)
	}
	summary := strings.TrimSpace(b.Summary)
	if summary == "" || len(summary) > maxIncidentText {
		return n, fieldErr("summary", "say what happened (%d characters at most)", maxIncidentText)
	}
	people, fe := splitPeople(strings.Join(b.People, ","))
	if fe != nil {
		return n, fe
	}
	if len(people) != len(b.People) {
		return n, fieldErr("people", "an empty username")
	}
	for _, d := range b.Outsiders {
		if d = strings.TrimSpace(d); d == "" || len(d) > 200 {
			return n, fieldErr("outsiders", "a description of 1 to 200 characters")
		}
	}
	return safeguarding.NewIncident{OccurredAt: t, Category: b.Category, Summary: summary, People: people, Outsiders: b.Outsiders}, nil
}

// apiIncidentCreate records an incident: 201 {"id": N}.
func (c *Console) apiIncidentCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	var b apiIncidentBody
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	n, fe := b.Validate(c.inc.Categories(), c.now())
	if fe != nil {
		apiField(w, fe)
		return
	}
	in, err := c.inc.Record(r.Context(), v.actor, n)
	if err != nil {
		c.apiDomainError(w, r, err, incidentErrField(err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": in.ID})
}

// incidentErrField is the field a domain error names ("invalid input:
// people: ..."), or "".
func incidentErrField(err error) string {
	msg := err.Error()
	for _, f := range []string{"occurred_at", "category", "summary", "people", "action", "outsiders"} {
		if strings.Contains(msg, ": "+f+": ") {
			return f
		}
	}
	return ""
}

// apiIncidentCategories is the kinds of incident in force (never empty).
func (c *Console) apiIncidentCategories(w http.ResponseWriter, r *http.Request, v *visit) {
	type cat struct {
		Name    string `json:"name"`
		Title   string `json:"title"`
		Illegal bool   `json:"illegal,omitempty"`
	}
	var out []cat
	for _, ic := range c.inc.Categories() {
		out = append(out, cat{ic.Name, ic.Title, ic.Illegal})
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": out})
}
