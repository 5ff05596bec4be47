package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// auditLimit is how many records the audit page shows, newest first.
const auditLimit = 200

// auditView is the trail, filtered, with the head hash to copy and, when
// asked, the chain's verification.
type auditView struct {
	Form     auditForm
	Records  []store.AuditRecord
	Limit    int
	HeadID   int64
	HeadHash string
	Verify   *store.VerifyResult
	Error    string
}

func (auditView) title() string { return "Audit trail" }

// auditForm filters the trail; dates are site-local days, both included.
type auditForm struct {
	Actor, Action, Object, From, To string
	Verify                          bool
	Head                            string // a head hash written down earlier
}

var errAuditDate = errors.New("from/to: give dates such as 2026-03-09")

// Validate reads the dates into the store's filter.
func (f auditForm) Validate(loc *time.Location) (store.AuditFilter, error) {
	af := store.AuditFilter{Actor: strings.TrimSpace(f.Actor), Action: strings.TrimSpace(f.Action), Object: strings.TrimSpace(f.Object), Limit: auditLimit, Newest: true}
	if f.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.From, loc)
		if err != nil {
			return af, errAuditDate
		}
		af.Since = t
	}
	if f.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.To, loc)
		if err != nil {
			return af, errAuditDate
		}
		af.Until = t.AddDate(0, 0, 1)
	}
	return af, nil
}

// auditShow lists the trail. The records name people, so the view is
// itself recorded, with the filter used.
func (c *Console) auditShow(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	q := r.URL.Query()
	loc := c.location()
	view := auditView{Limit: auditLimit, Form: auditForm{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"),
		From: q.Get("from"), To: q.Get("to"), Verify: q.Get("verify") != "", Head: strings.TrimSpace(q.Get("head"))}}
	status := http.StatusOK
	filter, err := view.Form.Validate(loc)
	filter.Site = v.actor.Site // the reader's school (every school: trust staff)
	if filter.Site == "" {
		err = safeguarding.ErrNoSite
	}
	if err != nil {
		view.Error, status = err.Error(), http.StatusUnprocessableEntity
	} else if view.Records, err = c.st.ListAudit(ctx, filter); err != nil {
		c.fail(w, r, v, err)
		return
	}
	for i := range view.Records {
		view.Records[i].At = view.Records[i].At.In(loc)
	}
	if view.HeadID, view.HeadHash, err = c.st.AuditHead(ctx); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if view.Form.Verify {
		if view.Verify, err = c.st.VerifyAudit(ctx, view.Form.Head); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	if err := c.auditVisit(r, v, "console.audit.view", "audit", map[string]any{"actor": filter.Actor, "action": filter.Action, "object": filter.Object, "from": view.Form.From, "to": view.Form.To}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "audit", v, view)
}
