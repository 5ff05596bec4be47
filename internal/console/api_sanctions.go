package console

import (
	"net/http"
	"strconv"
	"time"

	"schoolgate/internal/safeguarding"
)

// sanctionOut is a sanction as the API shows it.
type sanctionOut struct {
	ID       int64                  `json:"id"`
	Incident int64                  `json:"incident"`
	User     string                 `json:"user"`
	Action   string                 `json:"action"`
	Title    string                 `json:"title"`
	At       string                 `json:"at"`
	By       string                 `json:"by"`
	Note     string                 `json:"note,omitempty"`
	Scope    string                 `json:"scope,omitempty"`
	Until    string                 `json:"until,omitempty"`
	Override int64                  `json:"override,omitempty"`
	Active   bool                   `json:"active"`
	Informed *safeguarding.Informed `json:"informed,omitempty"`
	Revoked  *revokedOut            `json:"revoked,omitempty"`
}

type revokedOut struct {
	At     string `json:"at"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

func toSanctionOut(s safeguarding.SanctionView) sanctionOut {
	o := sanctionOut{ID: s.ID, Incident: s.IncidentID, User: s.Username, Action: s.Action, Title: s.Title, At: s.At.UTC().Format(time.RFC3339),
		By: s.By, Note: s.Note, Scope: s.Scope, Override: s.OverrideID, Active: s.Active, Informed: s.Informed}
	if !s.Until.IsZero() {
		o.Until = s.Until.UTC().Format(time.RFC3339)
	}
	if s.Revoked() {
		o.Revoked = &revokedOut{At: s.RevokedAt.UTC().Format(time.RFC3339), By: s.RevokedBy, Reason: s.RevokeReason}
	}
	return o
}

// apiSanctions is an incident's sanctions and the tables' suggestions
// for it (the view is audited by the domain).
func (c *Console) apiSanctions(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusNotFound, apiErr{Error: "no such incident"})
		return
	}
	in, sug, err := c.sanc.Incident(r.Context(), v.actor, id)
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	list, err := c.sanc.List(r.Context(), v.actor, id)
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	suggested := func(cs []safeguarding.ActionChoice) []string {
		out := []string{}
		for _, a := range cs {
			if a.Suggested {
				out = append(out, a.Name)
			}
		}
		return out
	}
	// A table's suggestions only when someone it is for is involved.
	tables := map[string][]string{}
	if sug.Pupils != nil {
		tables["pupils"] = suggested(sug.Pupils)
	}
	if sug.Staff != nil {
		tables["staff"] = suggested(sug.Staff)
	}
	out := make([]sanctionOut, 0, len(list))
	for _, s := range list {
		out = append(out, toSanctionOut(s))
	}
	body := map[string]any{"incident": in.ID, "category": in.Category, "suggested": tables, "sanctions": out}
	writeJSON(w, http.StatusOK, body)
}
