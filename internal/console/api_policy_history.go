package console

import (
	"net/http"

	"schoolgate/internal/store"
)

// apiPolicyHistory is the policy versions, newest first (the files'
// content left out), and with ?a=ID&b=ID the unified diff of two and the
// lists that differ.
func (c *Console) apiPolicyHistory(w http.ResponseWriter, r *http.Request, v *visit) {
	view, err := c.policyHistory(r, v)
	if err != nil {
		c.apiFail(w, r, err)
		return
	}
	if view.Error != "" {
		apiField(w, fieldErr("a", "compare two versions listed in the history"))
		return
	}
	versions := make([]store.PolicyVersion, 0, len(view.Versions))
	for _, row := range view.Versions {
		versions = append(versions, row.PolicyVersion)
	}
	body := map[string]any{"versions": versions}
	if view.A > 0 && view.B > 0 {
		diff := ""
		for _, l := range view.Diff {
			diff += l.Text + "\n"
		}
		lists := view.Lists
		if lists == nil {
			lists = []string{}
		}
		body["diff"], body["lists_changed"] = diff, lists
	}
	writeJSON(w, http.StatusOK, body)
}
