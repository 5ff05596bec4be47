package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// maxIncidentText caps a summary, action or reason.
const maxIncidentText = 8000

// incidentForm records an incident.
type incidentForm struct {
	OccurredAt string // school time: 2026-12-02T10:15
	Category   string
	Summary    string
	People     string // usernames, separated by commas, spaces or lines
	Outsiders  string // one description a line
	Event      string // an activity event's key (eventKey)
	Concern    string // a concern's number
	Alert      string // an alert's id
}

func readIncidentForm(r *http.Request) incidentForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return incidentForm{OccurredAt: g("occurred_at"), Category: g("category"), Summary: g("summary"), People: g("people"),
		Outsiders: g("outsiders"), Event: g("event"), Concern: g("concern"), Alert: g("alert")}
}

// Validate checks the form and turns it into a new incident (without
// its evidence: evidenceRefs).
func (f incidentForm) Validate(loc *time.Location, cats []safeguarding.IncidentCategory) (safeguarding.NewIncident, *FieldError) {
	var n safeguarding.NewIncident
	if f.OccurredAt == "" {
		return n, fieldErr("occurred_at", "when did it happen?")
	}
	t, err := parseLocal("occurred_at", f.OccurredAt, loc)
	if err != nil {
		return n, fieldErr("occurred_at", "%q: want a date and time in the school's time zone, e.g. 2026-12-02T10:15", f.OccurredAt)
	}
	n.OccurredAt = t
	if _, ok := safeguarding.IncidentCategoryNamed(cats, f.Category); !ok {
		return n, fieldErr("category", "choose the kind of incident")
	}
	n.Category = f.Category
	if f.Summary == "" {
		return n, fieldErr("summary", "say what happened")
	}
	if len(f.Summary) > maxIncidentText {
		return n, fieldErr("summary", "%d characters at most", maxIncidentText)
	}
	n.Summary = f.Summary
	people, fe := splitPeople(f.People)
	if fe != nil {
		return n, fe
	}
	n.People = people
	for _, d := range strings.Split(f.Outsiders, "\n") {
		if d = strings.TrimSpace(d); d != "" {
			if len(d) > 200 {
				return n, fieldErr("outsiders", "a description of 200 characters at most, one a line")
			}
			n.Outsiders = append(n.Outsiders, d)
		}
	}
	return n, nil
}

// splitPeople reads usernames separated by commas, spaces or lines.
func splitPeople(s string) ([]string, *FieldError) {
	var out []string
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if err := store.CheckUsername(name); err != nil {
			return nil, fieldErr("people", "%q is not a username (describe someone from outside in the box below)", name)
		}
		out = append(out, name)
	}
	return out, nil
}

// evidenceRefs is what the form links.
func (f incidentForm) evidenceRefs() []evidenceRef {
	var out []evidenceRef
	for _, e := range []evidenceRef{{"activity", f.Event}, {"concern", f.Concern}, {"alert", f.Alert}} {
		if e.Ref != "" {
			out = append(out, e)
		}
	}
	return out
}

// incidentListForm is the list's filters (a GET query).
type incidentListForm struct {
	Status, Category, Person, From, To string
}

func readIncidentListForm(q url.Values) incidentListForm {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return incidentListForm{Status: g("status"), Category: g("category"), Person: g("person"), From: g("from"), To: g("to")}
}

// Filter checks the filters and makes the store's.
func (f incidentListForm) Filter(loc *time.Location, cats []safeguarding.IncidentCategory) (store.IncidentFilter, *FieldError) {
	out := store.IncidentFilter{Status: f.Status, Category: f.Category, Person: f.Person, Limit: 500}
	switch f.Status {
	case "", store.IncidentOpen, store.IncidentInvestigating, store.IncidentClosed:
	default:
		return out, fieldErr("status", "%q: want open, %s or closed", f.Status, store.IncidentInvestigating)
	}
	if _, ok := safeguarding.IncidentCategoryNamed(cats, f.Category); f.Category != "" && !ok {
		return out, fieldErr("category", "no incident category %q", f.Category)
	}
	if f.Person != "" && store.CheckUsername(f.Person) != nil {
		return out, fieldErr("person", "%q is not a username", f.Person)
	}
	var err error
	if out.From, err = parseLocal("from", f.From, loc); err != nil {
		return out, fieldErr("from", "%v", err)
	}
	if out.To, err = parseLocal("to", f.To, loc); err != nil {
		return out, fieldErr("to", "%v", err)
	}
	if f.To != "" && !strings.Contains(f.To, "T") && !strings.Contains(f.To, " ") {
		out.To = out.To.AddDate(0, 0, 1) // a date: to its end
	}
	if !out.From.IsZero() && !out.To.IsZero() && !out.To.After(out.From) {
		return out, fieldErr("to", "the end is not after the start")
	}
	return out, nil
}

func (f incidentListForm) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "category": f.Category, "person": f.Person, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// correctionForm corrects one field of an incident.
type correctionForm struct {
	Field, Value, Reason string
}

func readCorrectionForm(r *http.Request) correctionForm {
	return correctionForm{Field: strings.TrimSpace(r.PostFormValue("field")), Value: strings.TrimSpace(r.PostFormValue("value")),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))}
}

// Validate checks the form; a new time is read in the school's zone and
// given to the domain as RFC 3339.
func (f correctionForm) Validate(loc *time.Location) (correctionForm, *FieldError) {
	switch f.Field {
	case "occurred_at":
		t, err := parseLocal("value", f.Value, loc)
		if err != nil || f.Value == "" {
			return f, fieldErr("value", "%q: want a date and time in the school's time zone, e.g. 2026-12-02T10:15", f.Value)
		}
		f.Value = t.UTC().Format(time.RFC3339)
	case "category", "summary":
	default:
		return f, fieldErr("field", "choose the field to correct")
	}
	if f.Value == "" || len(f.Value) > maxIncidentText {
		return f, fieldErr("value", "give the corrected value (%d characters at most)", maxIncidentText)
	}
	if f.Reason == "" || len(f.Reason) > maxIncidentText {
		return f, fieldErr("reason", "a correction needs its reason")
	}
	return f, nil
}

// referralForm records a referral.
type referralForm struct {
	To, Reference, At string
}

func readReferralForm(r *http.Request) referralForm {
	return referralForm{To: strings.TrimSpace(r.PostFormValue("to")), Reference: strings.TrimSpace(r.PostFormValue("reference")),
		At: strings.TrimSpace(r.PostFormValue("at"))}
}

func (f referralForm) Validate(loc *time.Location) (safeguarding.Referral, *FieldError) {
	if f.To == "" {
		return safeguarding.Referral{}, fieldErr("to", "say to whom it was referred")
	}
	t, err := parseLocal("at", f.At, loc)
	if err != nil || f.At == "" {
		return safeguarding.Referral{}, fieldErr("at", "when was it referred? e.g. 2026-12-02T10:15 (school time)")
	}
	return safeguarding.Referral{To: f.To, Reference: f.Reference, At: t}, nil
}
