package console

import (
	"net/http"
	"strconv"
)

// apiSanctionRevoke revokes a sanction ({"reason":"…"}): a removal of
// access ends at once.
func (c *Console) apiSanctionRevoke(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusNotFound, apiErr{Error: "no such sanction"})
		return
	}
	var b struct {
		Reason string `json:"reason"`
	}
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	f := revokeForm{Reason: b.Reason}
	if fe := f.Validate(); fe != nil {
		apiField(w, fe)
		return
	}
	sc, err := c.sanc.Revoke(r.Context(), v.actor, id, f.Reason)
	if err != nil {
		c.apiDomainError(w, r, err, sanctionField(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sanction": toSanctionOut(c.sanc.Views(sc)[0])})
}
