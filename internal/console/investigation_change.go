package console

import (
	"net/http"
	"strconv"
)

// investigationDone goes back to the record after a change.
func investigationDone(w http.ResponseWriter, r *http.Request, id int64, done string) {
	http.Redirect(w, r, "/investigations/"+strconv.FormatInt(id, 10)+"?done="+done, http.StatusSeeOther)
}

// investigationSite adds a web site address or device with the reason
// for concern; a police matter stops the review.
func (c *Console) investigationSite(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f := readInvestigationSiteForm(r)
	_, err := c.inv.AddSite(r.Context(), c.siteActor(v), id, f.Address, f.ConcernKind, f.Concern)
	if msg := investigationRefusal(err); msg != "" {
		c.showInvestigation(w, r, v, id, http.StatusUnprocessableEntity, investigationNotice{Error: msg, Site: f})
		return
	}
	if err != nil {
		c.investigationFail(w, r, v, id, err)
		return
	}
	investigationDone(w, r, id, "site")
}

// investigationSign records the signed-in reviewer's signature: their
// position and, again, their password or a TOTP code.
func (c *Console) investigationSign(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f := readSignForm(r)
	if ferr := f.Validate(); ferr != nil {
		c.showInvestigation(w, r, v, id, http.StatusUnprocessableEntity, investigationNotice{Error: "Signature: " + ferr.Msg + "."})
		return
	}
	if _, err := c.inv.Sign(r.Context(), c.siteActor(v), id, f.Position, f.Secret); err != nil {
		c.investigationFail(w, r, v, id, err)
		return
	}
	investigationDone(w, r, id, "sign")
}

// investigationReferral records a referral (to whom, reference, when).
func (c *Console) investigationReferral(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f := readInvReferralForm(r)
	when, ferr := f.Validate(c.now(), c.location())
	if ferr != nil {
		c.showInvestigation(w, r, v, id, http.StatusUnprocessableEntity, investigationNotice{Error: "Referral: " + ferr.Msg + "."})
		return
	}
	if _, err := c.inv.RecordReferral(r.Context(), c.siteActor(v), id, f.To, f.Reference, when); err != nil {
		c.investigationFail(w, r, v, id, err)
		return
	}
	investigationDone(w, r, id, "referral")
}

// investigationConclude concludes the record (two signatures needed).
func (c *Console) investigationConclude(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	f := readConcludeForm(r)
	if err := c.inv.Conclude(r.Context(), c.siteActor(v), id, f.Conclusion, f.Action); err != nil {
		c.investigationFail(w, r, v, id, err)
		return
	}
	investigationDone(w, r, id, "conclude")
}
