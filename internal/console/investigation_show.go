package console

import (
	"net/http"
	"strconv"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// investigationNotice is what the last action left to say.
type investigationNotice struct {
	Notice, Error string
	Site          investigationSiteForm // a site entry refused, to edit
}

// investigationView is the record page's model.
type investigationView struct {
	safeguarding.InvestigationView
	investigationNotice
	Me string
	// Reviewable: sites and screenshots may still be added (open, not
	// stopped, not concluded).
	Reviewable bool
	CanSign    bool
	Concluded  bool
	MaxMiB     int
	loc        *time.Location
}

func (investigationView) title() string { return "Investigation record" }

// At is a time in the school's zone, to the second (signatures).
func (v investigationView) At(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(v.loc).Format("Mon 2 Jan 2006 15:04:05 MST")
}

// ShotsOf are a site entry's screenshots.
func (v investigationView) ShotsOf(entry int64) []store.Screenshot {
	var out []store.Screenshot
	for _, s := range v.Screenshots {
		if s.EntryID == entry {
			out = append(out, s)
		}
	}
	return out
}

// Reviewer is the n-th signature (1 or 2), or nil.
func (v investigationView) Reviewer(n int) *store.Signature {
	if n < 1 || n > len(v.Signatures) {
		return nil
	}
	return &v.Signatures[n-1]
}

func investigationID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// investigationShow is the record: audited as a view of the people the
// incident involves.
func (c *Console) investigationShow(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	n := investigationNotice{}
	switch r.URL.Query().Get("done") {
	case "open":
		n.Notice = "Investigation opened. The review computer is recorded, and your browsing from now until the conclusion is monitored and recorded with it."
	case "site":
		n.Notice = "Site or device added."
	case "screenshot":
		n.Notice = "Screenshot attached."
	case "sign":
		n.Notice = "Signature recorded."
	case "referral":
		n.Notice = "Referral recorded."
	case "conclude":
		n.Notice = "Record concluded."
	}
	c.showInvestigation(w, r, v, id, http.StatusOK, n)
}

func (c *Console) investigationModel(r *http.Request, v *visit, id int64) (investigationView, error) {
	a := c.siteActor(v)
	iv, err := c.inv.Get(r.Context(), a, id)
	if err != nil {
		return investigationView{}, err
	}
	view := investigationView{InvestigationView: iv, Me: a.Username, MaxMiB: safeguarding.MaxScreenshotBytes >> 20, loc: c.location()}
	view.Concluded = iv.State == store.InvestigationConcluded
	view.Reviewable = iv.State == store.InvestigationOpen && !iv.Stopped()
	view.CanSign = !view.Concluded && len(iv.Signatures) < 2 && !iv.Signed(a.Username)
	return view, nil
}

func (c *Console) showInvestigation(w http.ResponseWriter, r *http.Request, v *visit, id int64, status int, n investigationNotice) {
	view, err := c.investigationModel(r, v, id)
	if err != nil {
		c.investigationFail(w, r, v, 0, err) // 0: never the record again
		return
	}
	view.investigationNotice = n
	c.render(w, r, status, "investigation", v, view)
}
