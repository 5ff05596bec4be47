package console

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// incidentFields are the correctable fields, as written or corrected.
type incidentFields struct {
	OccurredAt    time.Time
	Category      string
	CategoryTitle string
	Summary       string
}

// incidentPersonRow is someone involved.
type incidentPersonRow struct {
	Username, Description, Roles string
	Staff                        bool
}

// historyRow is one entry of an incident's history.
type historyRow struct {
	When   time.Time
	By     string
	Kind   string
	Text   string
	Reason string
	Detail string
}

// evidenceRow is one item of copied evidence, its fields in order.
type evidenceRow struct {
	Kind, Ref, AddedBy string
	AddedAt            time.Time
	Fields             []copiedField
}

type copiedField struct{ Name, Value string }

// incidentSummary is one incident as a list shows it.
type incidentSummary struct {
	ID         int64
	Restricted bool
	AboutStaff bool
	Current    incidentFields
	People     []incidentPersonRow
	Status     string
	ReportedBy string
	ReportedAt time.Time
}

func (c *Console) fields(in store.Incident, cats []safeguarding.IncidentCategory) incidentFields {
	title := in.Category
	if ic, ok := safeguarding.IncidentCategoryNamed(cats, in.Category); ok {
		title = ic.Title
	}
	return incidentFields{OccurredAt: in.OccurredAt.In(c.location()), Category: in.Category, CategoryTitle: title, Summary: in.Summary}
}

func peopleRows(in store.Incident) []incidentPersonRow {
	var out []incidentPersonRow
	for _, p := range in.People {
		row := incidentPersonRow{Username: p.Username, Description: p.Description, Roles: strings.ReplaceAll(p.Roles, ",", ", ")}
		for _, r := range strings.Split(p.Roles, ",") {
			if r != "" && r != string(identity.RolePupil) && r != string(identity.RoleVisitor) {
				row.Staff = true
			}
		}
		out = append(out, row)
	}
	return out
}

func (c *Console) toIncidentSummary(v safeguarding.IncidentView, cats []safeguarding.IncidentCategory) incidentSummary {
	return incidentSummary{ID: v.ID, Restricted: v.Restricted, AboutStaff: v.AboutStaff, Current: c.fields(v.Current, cats),
		People: peopleRows(v.Incident), Status: v.Status, ReportedBy: v.ReportedBy, ReportedAt: v.ReportedAt.In(c.location())}
}

// historyRows are the entries in words.
func (c *Console) historyRows(entries []store.IncidentEntry, cats []safeguarding.IncidentCategory) []historyRow {
	loc := c.location()
	var out []historyRow
	for _, e := range entries {
		h := historyRow{When: e.At.In(loc), By: e.By, Kind: e.Kind, Text: e.Text, Reason: e.Reason}
		switch e.Kind {
		case safeguarding.EntryCorrection:
			var d struct{ Field, Value string }
			if json.Unmarshal([]byte(e.Data), &d) == nil {
				value := d.Value
				switch d.Field {
				case "occurred_at":
					if t, err := time.Parse(time.RFC3339, d.Value); err == nil {
						value = t.In(loc).Format("2006-01-02 15:04")
					}
				case "category":
					if ic, ok := safeguarding.IncidentCategoryNamed(cats, d.Value); ok {
						value = ic.Title
					}
				}
				h.Text, h.Detail = fieldLabel(d.Field)+" corrected", value
			}
		case safeguarding.EntryStatus:
			h.Text, h.Detail = "status: "+e.Text, e.Data
		case safeguarding.EntryReferral:
			if r, ok := safeguarding.ReferralOf(e); ok {
				h.Text = "referred to " + r.To
				h.Detail = "on " + r.At.In(loc).Format("2006-01-02 15:04")
				if r.Reference != "" {
					h.Detail += ", reference " + r.Reference
				}
			}
		}
		out = append(out, h)
	}
	return out
}

func fieldLabel(f string) string {
	switch f {
	case "occurred_at":
		return "When it happened"
	case "category":
		return "Category"
	case "summary":
		return "What happened"
	}
	return f
}

// evidenceRows shows each copy's fields, in a fixed order.
func (c *Console) evidenceRows(evs []store.IncidentEvidence) []evidenceRow {
	var out []evidenceRow
	for _, ev := range evs {
		row := evidenceRow{Kind: ev.Kind, Ref: ev.Ref, AddedBy: ev.AddedBy, AddedAt: ev.AddedAt.In(c.location())}
		var m map[string]any
		if json.Unmarshal([]byte(ev.Copied), &m) == nil {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				value := evidenceValue(m[k])
				if t, err := time.Parse(time.RFC3339Nano, value); err == nil {
					value = t.In(c.location()).Format("2006-01-02 15:04:05 MST") // the school's time, as the rest of the page
				}
				row.Fields = append(row.Fields, copiedField{Name: k, Value: value})
			}
		} else {
			row.Fields = []copiedField{{Name: "copy", Value: ev.Copied}}
		}
		out = append(out, row)
	}
	return out
}

func evidenceValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = evidenceValue(p)
		}
		return strings.Join(parts, ", ")
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return fmt.Sprint(string(b))
}
