package console

import (
	"net/http"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// apiNodes lists the serve nodes of the caller's site with their last
// heartbeat ({nodes}; stale: no heartbeat for a minute).
func (c *Console) apiNodes(w http.ResponseWriter, r *http.Request, v *visit) {
	list, err := safeguarding.ListNodes(r.Context(), v.actor, c.st, c.now())
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	if list == nil {
		list = []store.NodeHealth{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"nodes": list})
}
