package console

import (
	"net/http"
	"strconv"

	"schoolgate/internal/store"
)

// apiAudit is the latest records of the audit trail (limit, default 100,
// at most 1000), oldest first. The read is itself recorded.
func (c *Console) apiAudit(w http.ResponseWriter, r *http.Request, v *visit) {
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			apiField(w, fieldErr("limit", "%q: want a number from 1 to 1000", s))
			return
		}
		limit = n
	}
	if err := c.auditVisit(r, v, "api.audit.view", "audit", map[string]any{"limit": limit}); err != nil {
		c.apiFail(w, r, err)
		return
	}
	recs, err := c.st.LatestAudit(r.Context(), v.actor.Site, limit)
	if err != nil {
		c.apiFail(w, r, err)
		return
	}
	if recs == nil {
		recs = []store.AuditRecord{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": recs})
}
