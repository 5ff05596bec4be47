package console

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"schoolgate/internal/safeguarding"
)

// maxUploadBytes bounds a multipart form's body (the largest file a form
// takes, a people import or a screenshot, and its fields); the guard
// applies it before reading the form's token.
const maxUploadBytes = max(maxImportBytes, safeguarding.MaxScreenshotBytes) + 64<<10

// investigationScreenshotAdd attaches an uploaded image to a site entry:
// its bytes go into the database, checked to be a PNG, JPEG or GIF.
func (c *Console) investigationScreenshotAdd(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	refuse := func(msg string) {
		c.showInvestigation(w, r, v, id, http.StatusUnprocessableEntity, investigationNotice{Error: msg})
	}
	entry, err := strconv.ParseInt(r.PostFormValue("entry"), 10, 64)
	if err != nil {
		refuse("Screenshot: choose the site entry it shows.")
		return
	}
	file, hdr, err := r.FormFile("screenshot")
	if err != nil {
		refuse("Screenshot: choose an image file (PNG, JPEG or GIF).")
		return
	}
	defer file.Close()
	if hdr.Size > safeguarding.MaxScreenshotBytes {
		refuse("Screenshot: the file is larger than " + strconv.Itoa(safeguarding.MaxScreenshotBytes>>20) + " MiB.")
		return
	}
	content, err := io.ReadAll(io.LimitReader(file, safeguarding.MaxScreenshotBytes+1))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if _, err := c.inv.AttachScreenshot(r.Context(), c.siteActor(v), id, entry, content); err != nil {
		c.investigationFail(w, r, v, id, err)
		return
	}
	investigationDone(w, r, id, "screenshot")
}

// investigationScreenshotShow sends one screenshot's bytes; the view is
// audited. None is shown once the review is stopped.
func (c *Console) investigationScreenshotShow(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	shot, err := strconv.ParseInt(r.PathValue("shot"), 10, 64)
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	sh, err := c.inv.Screenshot(r.Context(), c.siteActor(v), id, shot)
	if errors.Is(err, safeguarding.ErrReviewStopped) {
		c.render(w, r, http.StatusForbidden, "error", v, errorView{Title: "Review stopped", Message: "This review was stopped as a police matter: its screenshots are not shown."})
		return
	}
	if err != nil {
		c.investigationFail(w, r, v, 0, err)
		return
	}
	w.Header().Set("Content-Type", sh.MIME)
	w.Header().Set("Content-Disposition", "inline")
	w.Write(sh.Content)
}
