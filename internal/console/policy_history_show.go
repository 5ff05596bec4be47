package console

import "net/http"

// policyHistoryShow lists the policy versions in the database: who pushed
// each, when, the note, and a readable diff between two.
func (c *Console) policyHistoryShow(w http.ResponseWriter, r *http.Request, v *visit) {
	view, err := c.policyHistory(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	status := http.StatusOK
	if view.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	if r.URL.Query().Get("done") == "rolled-back" {
		view.Done = "Rolled back: the nodes load the new version within seconds."
	}
	c.render(w, r, status, "policy_history", v, view)
}
