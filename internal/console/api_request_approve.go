package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
)

// apiApproveBody approves a request.
type apiApproveBody struct {
	For      string `json:"for"`
	Scope    string `json:"scope"` // user, device or group:NAME
	Category string `json:"category"`
	Reason   string `json:"reason"`
}

// Validate checks the body and returns the approval.
func (b apiApproveBody) Validate() (safeguarding.Approval, *FieldError) {
	d, fe := parseFor("for", b.For)
	if fe != nil {
		return safeguarding.Approval{}, fe
	}
	if d > reconfirmAfter {
		// The console asks for a fresh second-factor code for these; a
		// token cannot give one.
		return safeguarding.Approval{}, fieldErr("for", "approving for more than a day needs a fresh code: use the console's page")
	}
	ap := safeguarding.Approval{For: d, Reason: strings.TrimSpace(b.Reason), Category: b.Category}
	switch g, isGroup := strings.CutPrefix(b.Scope, "group:"); {
	case b.Scope == "user":
		ap.Scope = safeguarding.ScopeRequester
	case b.Scope == "device":
		ap.Scope = safeguarding.ScopeDevice
	case isGroup && g != "":
		ap.Scope, ap.Group = safeguarding.ScopeGroup, g
	default:
		return ap, fieldErr("scope", "want user, device or group:NAME")
	}
	if ap.Reason == "" {
		return ap, fieldErr("reason", "give a reason: it is kept in the audit trail")
	}
	return ap, nil
}

// apiRequestApprove approves a pending request through the domain layer.
func (c *Console) apiRequestApprove(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.apiNotFound(w, r, v)
		return
	}
	var b apiApproveBody
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	ap, fe := b.Validate()
	if fe != nil {
		apiField(w, fe)
		return
	}
	req, o, err := c.svc.ApproveRequest(r.Context(), v.actor, id, ap)
	if err != nil {
		c.apiDomainError(w, r, err, "scope")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"request": req, "override": map[string]any{"id": o.ID, "until": o.Until.UTC().Format(time.RFC3339)}})
}
