package console

import (
	"errors"
	"net/http"
	"strings"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// siteActor is the visit's actor: their scope is their own record's site
// (the policy's site.id only names the school a trust person's new
// records go to), so a school's staff signed in on another school's node
// still see only their own school.
func (c *Console) siteActor(v *visit) safeguarding.Actor {
	return v.actor
}

// investigationRefusal is what the reviewer reads when the record refuses
// a change ("" for an error that is not theirs to fix).
func investigationRefusal(err error) string {
	switch {
	case errors.Is(err, safeguarding.ErrBadSignature):
		return "That password or code is not right: the signature was not recorded."
	case errors.Is(err, safeguarding.ErrAlreadySigned):
		return "You have signed this record already: the second signature must be another reviewer's."
	case errors.Is(err, safeguarding.ErrNotSigned):
		return "Two different reviewers must each sign before the record can be concluded."
	case errors.Is(err, safeguarding.ErrReviewStopped):
		return "The review is stopped: this is a police matter. No screenshots and no further viewing."
	case errors.Is(err, safeguarding.ErrConcluded):
		return "The record is concluded and cannot change."
	case errors.Is(err, safeguarding.ErrNoPolicy):
		return "The filtering policy is not loaded, so the address cannot be checked against it: nothing was added."
	case errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, store.ErrInvalid):
		msg := err.Error()
		if i := strings.LastIndex(msg, "invalid: "); i >= 0 {
			msg = msg[i+len("invalid: "):]
		}
		return strings.ToUpper(msg[:1]) + msg[1:] + "."
	}
	return ""
}

// investigationFail answers an error of the record's operations: 404 for
// one of another site or none, 403 with the role needed, the record
// again (422) with the refusal, or 500.
func (c *Console) investigationFail(w http.ResponseWriter, r *http.Request, v *visit, id int64, err error) {
	var fe *safeguarding.ForbiddenError
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.render(w, r, http.StatusNotFound, "error", v, errorView{Title: "No such record", Message: "There is no investigation or incident with that number."})
	case errors.As(err, &fe):
		c.forbidden(w, r, v, fe.Capability)
	case investigationRefusal(err) != "" && id != 0:
		c.showInvestigation(w, r, v, id, http.StatusUnprocessableEntity, investigationNotice{Error: investigationRefusal(err)})
	default:
		c.fail(w, r, v, err)
	}
}

// enforcedSite is the school whose overrides a decision is worked out
// with: the person's own, or for the trust's staff (every school) this
// node's, the overrides it enforces.
func (c *Console) enforcedSite(v *visit) string {
	if v.actor.Site == store.AllSites {
		return c.site()
	}
	return v.actor.Site
}
