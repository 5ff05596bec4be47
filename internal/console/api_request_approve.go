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
	// Code is a fresh TOTP code of the token's person, needed to approve
	// for more than a day (a script with that person at the keyboard).
	Code string `json:"code"`
}

// Validate checks the body and returns the approval.
func (b apiApproveBody) Validate() (safeguarding.Approval, *FieldError) {
	d, fe := parseFor("for", b.For)
	if fe != nil {
		return safeguarding.Approval{}, fe
	}
	if d > reconfirmAfter && strings.TrimSpace(b.Code) == "" {
		// As the console's page: a fresh second-factor code of the
		// token's person, or no approval this long.
		return safeguarding.Approval{}, fieldErr("code", "approving for more than a day needs a fresh code from your authenticator app")
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
	if ap.For > reconfirmAfter {
		ok, err := c.reconfirm(r, v, strings.TrimSpace(b.Code))
		if err != nil {
			c.apiFail(w, r, err)
			return
		}
		if !ok {
			apiField(w, fieldErr("code", "not a current code of your authenticator app (each code is good once)"))
			return
		}
	}
	req, o, err := c.svc.ApproveRequest(r.Context(), v.actor, id, ap)
	if err != nil {
		c.apiDomainError(w, r, err, "scope")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"request": req, "override": map[string]any{"id": o.ID, "until": o.Until.UTC().Format(time.RFC3339)}})
}
