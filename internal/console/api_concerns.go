package console

import (
	"net/http"

	"schoolgate/internal/store"
)

// apiConcerns lists the concerns reported from block pages (open by
// default, or closed, all). The store records the read in the audit
// trail; the view is recorded too, with the people it names.
func (c *Console) apiConcerns(w http.ResponseWriter, r *http.Request, v *visit) {
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = store.ConcernOpen
	case store.ConcernOpen, store.ConcernClosed:
	case "all":
		status = ""
	default:
		apiField(w, fieldErr("status", "%q: want open, closed or all", status))
		return
	}
	list, err := c.st.ListConcerns(r.Context(), v.actorStore(), status)
	if err != nil {
		c.apiFail(w, r, err)
		return
	}
	var names named
	for _, q := range list {
		names.add(q.User)
	}
	if err := c.auditVisit(r, v, "api.concerns.view", "concerns", map[string]any{"users": names.users, "status": status}); err != nil {
		c.apiFail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Concern{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"concerns": list})
}
