package console

import (
	"net/http"

	"schoolgate/internal/policy"
)

// policyTableView is the permission table: a row per category, a column
// per group, each cell's text.
type policyTableView struct {
	Groups []string         `json:"groups"`
	Rows   []policyTableRow `json:"rows"`
}

type policyTableRow struct {
	Category string   `json:"category"`
	Title    string   `json:"title,omitempty"`
	Illegal  bool     `json:"illegal,omitempty"`
	Cells    []string `json:"cells"` // one per group, in Groups' order
}

// apiPolicyTable answers the permission table in force.
func (c *Console) apiPolicyTable(w http.ResponseWriter, r *http.Request, v *visit) {
	writeJSON(w, http.StatusOK, policyTable(c.snap()))
}

// policyTable renders the table plainly from the policy's rules: a cell
// is the row's entry for the group, else its others entry, else the
// default row's. (One function, to be swapped for the console's own
// table renderer.)
func policyTable(snap *policy.Snapshot) policyTableView {
	cfg := snap.Config()
	view := policyTableView{Groups: snap.Groups(), Rows: []policyTableRow{}}
	cell := func(cells interface{ Get(string) (string, bool) }, g string) (string, bool) {
		if s, ok := cells.Get(g); ok {
			return s, true
		}
		return cells.Get("others")
	}
	for i, name := range snap.Categories() {
		row := policyTableRow{Category: name, Title: snap.CategoryTitle(i), Illegal: snap.IsIllegal(i), Cells: make([]string, len(view.Groups))}
		rule, hasRule := cfg.Rules.Get(name)
		for j, g := range view.Groups {
			var s string
			var ok bool
			if hasRule {
				s, ok = cell(rule.Cells, g)
			}
			if !ok {
				if s, ok = cell(cfg.Default.Cells, g); !ok {
					s = "allow" // no default row: the engine's
				}
			}
			row.Cells[j] = s
		}
		view.Rows = append(view.Rows, row)
	}
	return view
}
