package console

import (
	"errors"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
	"schoolgate/internal/subject"
)

// subjectView is one request under review.
type subjectView struct {
	ID         int64
	Confirm    bool // a fresh code is needed first
	Export     *subject.Export
	Withheld   map[string]*store.Withholding
	Exemptions []safeguarding.Exemption
	Released   bool
	Error      string
	Notice     string
}

func (subjectView) title() string { return "Subject-access request" }

// subjectReview shows everything the export would hold, for the dsl to
// review before release; it asks for a fresh code first.
func (c *Console) subjectReview(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showSubject(w, r, v, http.StatusOK, subjectView{})
}

func (c *Console) showSubject(w http.ResponseWriter, r *http.Request, v *visit, status int, view subjectView) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	view.ID = id
	// Another school's request (or none) is not found, before anything
	// else is asked.
	if _, err := c.st.GetSubjectRequest(r.Context(), v.actor.Site, id); errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if !c.fresh.ok(v.sess.IDHash, c.now()) {
		view.Confirm = true
		c.render(w, r, status, "subject_request", v, view)
		return
	}
	e, ws, err := c.sar.Review(r.Context(), v.actor, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	view.Export, view.Exemptions = e, safeguarding.Exemptions
	view.Withheld = map[string]*store.Withholding{}
	for _, wh := range ws {
		view.Withheld[wh.Item] = &wh
	}
	if r.URL.Query().Get("done") == "withheld" {
		view.Notice = "Withheld. The reason is recorded."
	}
	c.render(w, r, status, "subject_request", v, view)
}

// subjectConfirm takes the fresh code that opens the review for a while.
func (c *Console) subjectConfirm(w http.ResponseWriter, r *http.Request, v *visit) {
	ok, err := c.reconfirm(r, v, r.PostFormValue("code"))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if !ok {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		c.render(w, r, http.StatusUnprocessableEntity, "subject_request", v, subjectView{ID: id, Confirm: true, Error: "That code is not right (or was already used). Try the next one."})
		return
	}
	c.fresh.grant(v.sess.IDHash, c.now())
	http.Redirect(w, r, "/subject-access/"+r.PathValue("id"), http.StatusSeeOther)
}

// subjectWithhold keeps one item out of the export, with its exemption
// and reason.
func (c *Console) subjectWithhold(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if !c.fresh.ok(v.sess.IDHash, c.now()) {
		http.Redirect(w, r, "/subject-access/"+r.PathValue("id"), http.StatusSeeOther)
		return
	}
	f := readSubjectWithholdForm(r)
	err = c.sar.Withhold(r.Context(), v.actor, id, f.Item, f.Exemption, f.Reason)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrExists):
		c.showSubject(w, r, v, http.StatusUnprocessableEntity, subjectView{Error: err.Error()})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/subject-access/"+r.PathValue("id")+"?done=withheld", http.StatusSeeOther)
}

// subjectRelease records the release and hands over the ZIP.
func (c *Console) subjectRelease(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if !c.fresh.ok(v.sess.IDHash, c.now()) {
		http.Redirect(w, r, "/subject-access/"+r.PathValue("id"), http.StatusSeeOther)
		return
	}
	e, err := c.sar.Release(r.Context(), v.actor, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, safeguarding.ErrInvalid):
		c.showSubject(w, r, v, http.StatusConflict, subjectView{Error: err.Error()})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="subject-access-`+strconv.FormatInt(id, 10)+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := e.WriteZIP(w); err != nil {
		c.log.Error("console: writing a subject-access export", "err", err)
	}
}
