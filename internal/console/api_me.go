package console

import (
	"net/http"

	"schoolgate/internal/identity"
)

// meView is who the caller is.
type meView struct {
	Username    string          `json:"username"`
	DisplayName string          `json:"display_name"`
	Roles       []identity.Role `json:"roles"`
}

// apiMe answers who the token or session belongs to.
func (c *Console) apiMe(w http.ResponseWriter, r *http.Request, v *visit) {
	writeJSON(w, http.StatusOK, meView{Username: v.user.Username, DisplayName: v.user.DisplayName, Roles: v.user.Roles})
}
