package console

import (
	"encoding/csv"
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/safetext"
)

// activityCodeView asks for a fresh code before an export.
type activityCodeView struct {
	Form  activityForm
	Error string
}

func (activityCodeView) title() string { return "Confirm the export" }

// csvFlushEvery is how many rows are written between flushes: the
// export streams, it never holds the result.
const csvFlushEvery = 256

// activityCSV exports the search (the page's filters, every page) as CSV.
// An export is among the most sensitive actions: it asks for a fresh code
// from the authenticator app (good once, audited), is audited itself
// (object user:NAME when it names a person), keeps the staff-row rule,
// streams row by row and makes every cell formula-safe.
func (c *Console) activityCSV(w http.ResponseWriter, r *http.Request, v *visit) {
	form := readActivityForm(r.URL.Query())
	form.Before = ""
	filter, err := form.Filter(c.location())
	if err != nil {
		c.render(w, r, http.StatusUnprocessableEntity, "activity_code", v, activityCodeView{Form: form, Error: err.Error()})
		return
	}
	rule := c.rowRule(v)
	if ok, err := c.namedAllowed(r.Context(), rule, form.Person); err != nil {
		c.fail(w, r, v, err)
		return
	} else if !ok {
		c.refuseNamed(w, r, v, form.Person)
		return
	}
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	if code == "" {
		c.render(w, r, http.StatusOK, "activity_code", v, activityCodeView{Form: form})
		return
	}
	ok, err := c.reconfirm(r, v, code)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if !ok {
		c.render(w, r, http.StatusUnprocessableEntity, "activity_code", v, activityCodeView{Form: form,
			Error: "That code is not right, or was already used. Wait for the next one and try again."})
		return
	}
	if err := c.auditSearch(r, v, "console.activity.export", form, nil); err != nil {
		c.fail(w, r, v, err)
		return
	}
	filter.Limit = -1
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="activity-`+c.now().In(c.location()).Format("2006-01-02-1504")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "person", "device", "groups", "host", "url", "categories", "verdict", "source", "search", "action", "ref"})
	loc, n := c.location(), 0
	flusher, _ := w.(http.Flusher)
	err = c.st.SearchActivity(r.Context(), v.actorStore(), filter, func(e activity.Event) error {
		ok, err := rule.allows(r.Context(), e.User)
		if err != nil || !ok {
			return err
		}
		row := []string{e.Time.In(loc).Format(time.RFC3339), e.User, e.Client.String(), strings.Join(e.Groups, " "), e.Host, e.URL,
			strings.Join(e.Categories, " "), e.Verdict, string(e.Point), e.Search, e.Action, e.Ref}
		for i := range row {
			row[i] = safetext.CSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		if n++; n%csvFlushEvery == 0 {
			cw.Flush()
			if flusher != nil {
				flusher.Flush()
			}
			return cw.Error()
		}
		return nil
	})
	cw.Flush()
	if err != nil {
		// The header is gone: the truncated file says so on its last line.
		c.log.Error("console: activity export failed", "err", err)
		cw.Write([]string{"# the export failed part way: this file is incomplete"})
		cw.Flush()
	}
}
