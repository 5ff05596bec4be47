// Package report computes the governors' report: a term's safeguarding
// and filtering figures for a site, anonymised. It holds no names: what
// its sources return is turned into counts here, and every count goes
// through the anonymity rules (suppress.go) before it is shown.
package report

import (
	"encoding/json"
	"time"
)

// Report is the governors' report for one site and period.
type Report struct {
	School    string    `json:"school"`
	Period    string    `json:"period"`
	Dates     string    `json:"dates"` // the period's first and last days
	From      time.Time `json:"from"`
	To        time.Time `json:"to"` // exclusive
	Generated time.Time `json:"generated"`

	Incidents IncidentSection `json:"incidents"`
	Sanctions Table           `json:"sanctions"`
	Blocked   BlockedSection  `json:"blocked"`
	Changes   ChangesSection  `json:"filtering_changes"`
	AUA       AUASection      `json:"acceptable_use"`
	Checks    ChecksSection   `json:"checks"`
}

// Table is a one-way table: labelled rows and their total.
type Table struct {
	Title string `json:"title"`
	Note  string `json:"note,omitempty"`
	// NotRecorded: the source is not kept yet; Rows and Total mean
	// nothing.
	NotRecorded string `json:"not_recorded,omitempty"`
	Rows        []Row  `json:"rows"`
	Total       Figure `json:"total"`
}

// Row is one line of a table. Labels are categories, key stages, kinds:
// never a person, a host or free text.
type Row struct {
	Label string `json:"label"`
	Count Figure `json:"count"`
}

// IncidentSection counts the incidents that occurred in the period.
type IncidentSection struct {
	ByCategory Table `json:"by_category"`
	ByStage    Table `json:"by_key_stage"`
	ByAction   Table `json:"by_action"`
}

// BlockedSection counts the attempts on blocked categories.
type BlockedSection struct {
	ByCategory Table  `json:"by_category"`
	Weekly     Weekly `json:"weekly"`
}

// Weekly is a categories-by-week grid (the chart).
type Weekly struct {
	Weeks      []time.Time `json:"weeks"` // each week's Monday, site time
	Rows       []WeekRow   `json:"rows"`
	WeekTotals []Figure    `json:"week_totals"`
	Total      Figure      `json:"total"`
}

// WeekRow is one category's weeks.
type WeekRow struct {
	Label string   `json:"label"`
	Weeks []Figure `json:"weeks"`
	Total Figure   `json:"total"`
}

// ChangesSection is what changed in the filtering.
type ChangesSection struct {
	Requests      Table `json:"requests"`
	Exceptions    Table `json:"exceptions_added"`
	PolicyChanges Table `json:"policy_changes"`
	// PolicyExceptions are the exceptions written in the policy file
	// now, with their reasons (the only reasons the report shows).
	PolicyExceptions []PolicyException `json:"policy_exceptions"`
}

// PolicyException is one exception of the policy file.
type PolicyException struct {
	Verdict string   `json:"verdict"`
	Hosts   int      `json:"hosts"`
	Groups  []string `json:"groups,omitempty"`
	Until   string   `json:"until,omitempty"`
	Reason  string   `json:"reason"`
}

// AUASection is the acceptable-use coverage by role.
type AUASection struct {
	Note string    `json:"note"`
	Rows []AUARole `json:"rows"`
}

// AUARole is one role's coverage. Share is a percentage, empty when a
// figure it is made from is suppressed.
type AUARole struct {
	Role        string `json:"role"`
	Accepted    Figure `json:"accepted"`
	Outstanding Figure `json:"outstanding"`
	People      Figure `json:"people"`
	Share       string `json:"share,omitempty"`
}

// ChecksSection is the filtering checks and reviews done.
type ChecksSection struct {
	NotRecorded string `json:"not_recorded,omitempty"`
	Checks      Table  `json:"checks"`
	Reviews     Figure `json:"reviews"`
	LastReview  string `json:"last_review,omitempty"`
}

// MarshalJSON leaves a table that is not recorded without rows or total:
// not zeros.
func (t Table) MarshalJSON() ([]byte, error) {
	if t.NotRecorded != "" {
		return json.Marshal(struct {
			Title       string `json:"title"`
			NotRecorded string `json:"not_recorded"`
		}{t.Title, t.NotRecorded})
	}
	type plain Table
	return json.Marshal(plain(t))
}

// MarshalJSON leaves checks that are not recorded without figures.
func (c ChecksSection) MarshalJSON() ([]byte, error) {
	if c.NotRecorded != "" {
		return json.Marshal(struct {
			NotRecorded string `json:"not_recorded"`
		}{c.NotRecorded})
	}
	type plain ChecksSection
	return json.Marshal(plain(c))
}
