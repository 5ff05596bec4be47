package console

import (
	"errors"
	"net/http"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
)

// maxImportBytes bounds an uploaded users CSV (a large school's MIS
// export is well under a megabyte).
const maxImportBytes = 8 << 20

// peopleImport applies an uploaded users CSV with the command line's
// parser and bad-row report (never pruning: `schoolgate users import
// --prune` does that). A row that gives or removes a role its uploader
// may not refuses the whole file.
func (c *Console) peopleImport(w http.ResponseWriter, r *http.Request, v *visit) {
	// The guard has parsed the form (for its token) already.
	file, hdr, err := r.FormFile("file")
	if err != nil || hdr.Size > maxImportBytes {
		msg := "choose a users CSV file"
		if err == nil {
			file.Close()
			msg = "the file is larger than 8 MB"
		}
		c.showPeople(w, r, v, http.StatusUnprocessableEntity, peopleView{Error: fieldErr("file", "%s", msg).Error()})
		return
	}
	defer file.Close()
	snap := c.snap()
	parsed, err := identity.ParseUsersCSV(file, func(g string) bool { _, ok := snap.GroupIndex(g); return ok })
	if err != nil {
		c.showPeople(w, r, v, http.StatusUnprocessableEntity, peopleView{Error: fieldErr("file", "%v", err).Error()})
		return
	}
	rep := &importReport{Bad: parsed.Errors, Unknown: parsed.UnknownGroups, Ignored: parsed.Ignored}
	rep.Summary, err = c.people().Import(r.Context(), v.actor, parsed)
	if err != nil {
		status, ok := peopleStatus(err)
		var refused *safeguarding.ImportRefused
		if errors.As(err, &refused) {
			status, ok = http.StatusForbidden, true
		}
		if !ok {
			c.fail(w, r, v, err)
			return
		}
		c.showPeople(w, r, v, status, peopleView{Error: err.Error()})
		return
	}
	c.showPeople(w, r, v, http.StatusOK, peopleView{Import: rep, Notice: "Import done."})
}
