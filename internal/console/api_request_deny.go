package console

import (
	"net/http"
	"strconv"
	"strings"
)

// apiDenyBody declines a request.
type apiDenyBody struct {
	Reason string `json:"reason"`
}

// apiRequestDeny declines a pending request through the domain layer.
func (c *Console) apiRequestDeny(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.apiNotFound(w, r, v)
		return
	}
	var b apiDenyBody
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	if fe := (denyForm{Reason: b.Reason}).Validate(); fe != nil {
		apiField(w, fe)
		return
	}
	req, err := c.svc.DenyRequest(r.Context(), v.actor, id, strings.TrimSpace(b.Reason))
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"request": req})
}
