package console

import (
	"errors"
	"net/http"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// apiInvestigationJSON is one investigation record in the API.
type apiInvestigationJSON struct {
	ID               int64                       `json:"id"`
	Incident         int64                       `json:"incident"`
	Group            string                      `json:"group"`
	Date             string                      `json:"date"`
	ReasonKind       string                      `json:"reason_kind"`
	Reason           string                      `json:"reason"`
	ComputerName     string                      `json:"computer_name"`
	ComputerLocation string                      `json:"computer_location"`
	OpenedBy         string                      `json:"opened_by"`
	OpenedAt         time.Time                   `json:"opened_at"`
	State            string                      `json:"state"`
	Stopped          *apiStopJSON                `json:"stopped,omitempty"`
	Sites            []apiSiteJSON               `json:"sites"`
	Signatures       []apiSignatureJSON          `json:"signatures"`
	Referrals        []apiReferralJSON           `json:"referrals"`
	Browsing         []apiBrowsingJSON           `json:"browsing"`
	Conclusion       string                      `json:"conclusion,omitempty"`
	Action           string                      `json:"action,omitempty"`
	ConcludedBy      string                      `json:"concluded_by,omitempty"`
	ConcludedAt      *time.Time                  `json:"concluded_at,omitempty"`
	Steps            []safeguarding.ReferralStep `json:"referral_steps,omitempty"`
}

type apiStopJSON struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

type apiSiteJSON struct {
	ID          int64         `json:"id"`
	Address     string        `json:"address"`
	ConcernKind string        `json:"concern_kind"`
	Concern     string        `json:"concern"`
	Police      bool          `json:"police"`
	AddedBy     string        `json:"added_by"`
	AddedAt     time.Time     `json:"added_at"`
	Screenshots []apiShotJSON `json:"screenshots"`
}

type apiShotJSON struct {
	ID      int64     `json:"id"`
	SHA256  string    `json:"sha256"`
	Type    string    `json:"type"`
	Size    int64     `json:"size"`
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

type apiSignatureJSON struct {
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Position string    `json:"position"`
	Method   string    `json:"method"`
	Address  string    `json:"address"`
	SignedAt time.Time `json:"signed_at"`
}

type apiReferralJSON struct {
	To         string    `json:"to"`
	Reference  string    `json:"reference"`
	ReferredAt time.Time `json:"referred_at"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

type apiBrowsingJSON struct {
	At      time.Time `json:"at"`
	User    string    `json:"user"`
	Host    string    `json:"host"`
	URL     string    `json:"url,omitempty"`
	Verdict string    `json:"verdict"`
}

func toAPIInvestigation(v safeguarding.InvestigationView) apiInvestigationJSON {
	out := apiInvestigationJSON{ID: v.ID, Incident: v.IncidentID, Group: v.Group, Date: v.Date, ReasonKind: v.ReasonKind, Reason: v.Reason,
		ComputerName: v.ComputerName, ComputerLocation: v.ComputerLocation, OpenedBy: v.OpenedBy, OpenedAt: v.OpenedAt, State: v.State,
		Conclusion: v.Conclusion, Action: v.Action, ConcludedBy: v.ConcludedBy, Steps: v.Steps,
		Sites: []apiSiteJSON{}, Signatures: []apiSignatureJSON{}, Referrals: []apiReferralJSON{}, Browsing: []apiBrowsingJSON{}}
	if v.Stopped() {
		out.Stopped = &apiStopJSON{At: v.StoppedAt, By: v.StoppedBy, Reason: v.StopReason}
	}
	if !v.ConcludedAt.IsZero() {
		at := v.ConcludedAt
		out.ConcludedAt = &at
	}
	for _, e := range v.Sites {
		s := apiSiteJSON{ID: e.ID, Address: e.Address, ConcernKind: e.ConcernKind, Concern: e.Concern, Police: e.Police, AddedBy: e.AddedBy, AddedAt: e.AddedAt, Screenshots: []apiShotJSON{}}
		for _, sh := range v.Screenshots {
			if sh.EntryID == e.ID {
				s.Screenshots = append(s.Screenshots, apiShotJSON{ID: sh.ID, SHA256: sh.SHA256, Type: sh.MIME, Size: sh.Size, AddedBy: sh.AddedBy, AddedAt: sh.AddedAt})
			}
		}
		out.Sites = append(out.Sites, s)
	}
	for _, sg := range v.Signatures {
		out.Signatures = append(out.Signatures, apiSignatureJSON(sg))
	}
	for _, r := range v.Referrals {
		out.Referrals = append(out.Referrals, apiReferralJSON(r))
	}
	for _, b := range v.Browsing {
		out.Browsing = append(out.Browsing, apiBrowsingJSON{At: b.At, User: b.User, Host: b.Host, URL: b.URL, Verdict: b.Verdict})
	}
	return out
}

// apiInvestigation is one investigation record (screenshots by checksum,
// not their bytes); the view is audited as the console page's.
func (c *Console) apiInvestigation(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		apiField(w, fieldErr("id", "%q is not an investigation number", r.PathValue("id")))
		return
	}
	iv, err := c.inv.Get(r.Context(), c.siteActor(v), id)
	var fe *safeguarding.ForbiddenError
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiErr{Error: "no such investigation"})
		return
	case errors.As(err, &fe):
		writeJSON(w, http.StatusForbidden, apiErr{Error: "your roles do not allow this investigation", Capability: string(fe.Capability)})
		return
	case err != nil:
		c.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIInvestigation(iv))
}
