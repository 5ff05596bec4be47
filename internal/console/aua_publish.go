package console

import (
	"errors"
	"net/http"
	"strings"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// auaPublishForm is a new version of a group's agreement.
type auaPublishForm struct {
	Group, Version, Text string
}

func readAUAPublishForm(r *http.Request) auaPublishForm {
	return auaPublishForm{Group: strings.TrimSpace(r.PostFormValue("group")), Version: strings.TrimSpace(r.PostFormValue("version")),
		Text: r.PostFormValue("text")}
}

// auaPublish publishes a new version of a group's agreement: stored with
// its audit record, it replaces the policy file's, and everyone in the
// group is asked to accept it on their next web request (within seconds
// on every node).
func (c *Console) auaPublish(w http.ResponseWriter, r *http.Request, v *visit) {
	f := readAUAPublishForm(r)
	_, err := safeguarding.NewAUAPublisher(c.st, c.snap).Publish(r.Context(), v.actor, f.Group, f.Version, f.Text)
	switch {
	case errors.Is(err, safeguarding.ErrForbidden):
		c.forbidden(w, r, v, safeguarding.ManageAUA)
		return
	case errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, store.ErrInvalid):
		c.showAUA(w, r, v, http.StatusUnprocessableEntity, auaView{Form: f, Error: err.Error()})
		return
	case errors.Is(err, store.ErrExists):
		c.showAUA(w, r, v, http.StatusUnprocessableEntity, auaView{Form: f, Error: "version: " + f.Group + " has had version " + f.Version + " already: a new version needs a new name"})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/aua?done=published", http.StatusSeeOther)
}
