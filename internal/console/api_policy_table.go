package console

import (
	"net/http"

	"schoolgate/internal/policy"
	"schoolgate/internal/policytable"
)

// policyTableView is the permission table: a row per category (the
// default row last), a column per group, each cell in the seeds' words,
// as the policy page shows it (internal/policytable renders both).
type policyTableView struct {
	Groups []string         `json:"groups"`
	Rows   []policyTableRow `json:"rows"`
}

type policyTableRow struct {
	Category string            `json:"category"`
	Title    string            `json:"title,omitempty"`
	Illegal  bool              `json:"illegal,omitempty"`
	Locked   bool              `json:"locked,omitempty"`
	Default  bool              `json:"default,omitempty"`
	Cells    []policyTableCell `json:"cells"` // one per group, in Groups' order
}

type policyTableCell struct {
	Text string `json:"text"` // "Allowed with staff permission"
	Kind string `json:"kind"` // allow, times, permission, warn, block, illegal
	Rule string `json:"rule"` // the policy file's cell
	// Changed: a school's file changed the trust's cell, which is Trust.
	Changed bool   `json:"changed,omitempty"`
	Trust   string `json:"trust,omitempty"`
}

// apiPolicyTable answers the permission table in force.
func (c *Console) apiPolicyTable(w http.ResponseWriter, r *http.Request, v *visit) {
	writeJSON(w, http.StatusOK, policyTable(c.snap()))
}

func policyTable(snap *policy.Snapshot) policyTableView {
	g := policytable.Table(snap)
	view := policyTableView{Groups: g.Groups, Rows: make([]policyTableRow, 0, len(g.Rows))}
	for _, r := range g.Rows {
		row := policyTableRow{Category: r.Category, Title: r.Title, Illegal: r.Illegal, Locked: r.Locked, Default: r.Default,
			Cells: make([]policyTableCell, len(r.Cells))}
		for i, c := range r.Cells {
			row.Cells[i] = policyTableCell{Text: c.Text, Kind: string(c.Kind), Rule: c.Rule, Changed: c.Changed, Trust: c.Trust}
		}
		view.Rows = append(view.Rows, row)
	}
	return view
}
