package console

import (
	"net/http"

	"schoolgate/internal/store"
)

// apiRequests lists unblock requests by status (pending by default, or
// approved, denied, expired, all). It names pupils, so the view is
// audited with the people it shows.
func (c *Console) apiRequests(w http.ResponseWriter, r *http.Request, v *visit) {
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = store.StatusPending
	case store.StatusPending, store.StatusApproved, store.StatusDenied, store.StatusExpired:
	case "all":
		status = ""
	default:
		apiField(w, fieldErr("status", "%q: want pending, approved, denied, expired or all", status))
		return
	}
	list, err := c.st.ListRequests(r.Context(), status, 500)
	if err != nil {
		c.apiFail(w, r, err)
		return
	}
	var named []string
	seen := map[string]bool{}
	for _, q := range list {
		if q.User != "" && !seen[q.User] {
			seen[q.User] = true
			named = append(named, q.User)
		}
	}
	if err := c.auditVisit(r, v, "api.requests.view", "requests", map[string]any{"users": named, "status": status}); err != nil {
		c.apiFail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Request{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": list})
}
