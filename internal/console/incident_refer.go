package console

import "net/http"

// incidentRefer records a referral (to whom, their reference, when; by
// the visitor): the LADO for an allegation against an adult, the
// police, CEOP or children's social care for a pupil.
func (c *Console) incidentRefer(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := incidentID(w, r)
	if !ok {
		return
	}
	ref, fe := readReferralForm(r).Validate(c.location())
	if fe != nil {
		c.showIncident(w, r, v, http.StatusUnprocessableEntity, incidentView{Error: fe.Error(), Field: fe.Field})
		return
	}
	_, err := c.inc.Refer(r.Context(), v.actor, id, ref)
	c.incidentDone(w, r, v, id, err, "referral", "to")
}
