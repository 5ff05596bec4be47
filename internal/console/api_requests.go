package console

import (
	"net/http"
	"slices"

	"schoolgate/internal/store"
)

// apiRequests lists unblock requests by status (pending by default, or
// approved, denied, expired, decided: all but pending, all). It names pupils, so the view is
// audited with the people it shows.
func (c *Console) apiRequests(w http.ResponseWriter, r *http.Request, v *visit) {
	status := r.URL.Query().Get("status")
	switch status {
	case "":
		status = store.StatusPending
	case store.StatusPending, store.StatusApproved, store.StatusDenied, store.StatusExpired:
	case "all", "decided":
	default:
		apiField(w, fieldErr("status", "%q: want pending, approved, denied, expired, decided or all", status))
		return
	}
	want := status
	if status == "all" || status == "decided" {
		want = ""
	}
	list, err := c.st.ListRequests(r.Context(), v.actor.Site, want, 500)
	if err != nil {
		c.apiFail(w, r, err)
		return
	}
	if status == "decided" {
		list = slices.DeleteFunc(list, func(q store.Request) bool { return q.Status == store.StatusPending })
	}
	var names named
	for _, q := range list {
		names.add(q.User)
	}
	if err := c.auditVisit(r, v, "api.requests.view", "requests", map[string]any{"users": names.users, "status": status}); err != nil {
		c.apiFail(w, r, err)
		return
	}
	if list == nil {
		list = []store.Request{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": list})
}
