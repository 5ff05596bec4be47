package console

import (
	"net/http"
	"time"

	"schoolgate/internal/store"
)

// requestsView lists pending requests, each with its approve and decline
// forms, and the recently decided.
type requestsView struct {
	Pending []requestRow
	Decided []requestRow
	Groups  []string
	Today   string // the earliest date for "until"
	Notice  string
	Error   string
	ErrorID int64
}

type requestRow struct {
	store.Request
	Who        string // the pupil, or the device's address
	Device     bool
	Categories string
}

func (requestsView) title() string { return "Requests" }

func toRows(rs []store.Request, loc *time.Location) []requestRow {
	out := make([]requestRow, len(rs))
	for i, r := range rs {
		r.Created, r.DecidedAt = r.Created.In(loc), r.DecidedAt.In(loc)
		out[i] = requestRow{Request: r, Who: r.User, Device: r.User == ""}
		if r.User == "" {
			out[i].Who = "device " + r.Client
		}
		for j, c := range r.Categories {
			if j > 0 {
				out[i].Categories += ", "
			}
			out[i].Categories += c
		}
	}
	return out
}

// requestsShow lists the requests. It names pupils, so the view is
// audited with the people it shows.
func (c *Console) requestsShow(w http.ResponseWriter, r *http.Request, v *visit) {
	c.showRequests(w, r, v, http.StatusOK, requestsView{Notice: noticeText(r.URL.Query().Get("done"))})
}

func (c *Console) showRequests(w http.ResponseWriter, r *http.Request, v *visit, status int, view requestsView) {
	ctx := r.Context()
	pending, err := c.st.ListRequests(ctx, v.actor.Site, store.StatusPending, 200)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	all, err := c.st.ListRequests(ctx, v.actor.Site, "", 300)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	var decided []store.Request
	for _, q := range all {
		if q.Status != store.StatusPending && len(decided) < 50 {
			decided = append(decided, q)
		}
	}
	view.Pending, view.Decided = toRows(pending, c.location()), toRows(decided, c.location())
	view.Groups = c.snap().Groups()
	view.Today = c.now().In(c.location()).Format(time.DateOnly)
	var names named
	for _, q := range append(pending, decided...) {
		names.add(q.User)
	}
	if err := c.auditVisit(r, v, "console.requests.view", "requests", map[string]any{"users": names.users}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "requests", v, view)
}

// noticeText is the message after a redirect (?done=...).
func noticeText(done string) string {
	switch done {
	case "approved":
		return "Request approved."
	case "denied":
		return "Request declined."
	case "granted":
		return "Grant made. It takes effect at once."
	case "revoked":
		return "Grant ended."
	}
	return ""
}
