package console

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// countKeys are what /activity/counts counts by: the store's summary keys,
// and user or client (the summaries' subject) for a role that may see
// named activity.
var countKeys = []string{"day", "hour", "group", "category", "verdict", "point", "user", "client"}

// apiCounts counts the activity from since (default a week ago) to until
// (default now) by the keys of "by" (default day), through the store's
// hourly summaries. Counting by user or client names people: it needs a
// named pupil's activity, is audited, and leaves out the people the
// caller may not see by name.
func (c *Console) apiCounts(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	q := r.URL.Query()
	for k := range q {
		if k != "by" && k != "since" && k != "until" {
			apiField(w, fieldErr(k, "unknown parameter (want by, since, until)"))
			return
		}
	}
	by := []string{"day"}
	if s := q.Get("by"); s != "" {
		by = strings.Split(s, ",")
	}
	keys := make([]string, len(by))
	subject := ""
	for i, k := range by {
		switch k {
		case "user", "client":
			if subject != "" {
				apiField(w, fieldErr("by", "count by one of user or client"))
				return
			}
			if !safeguarding.Can(v.user.Roles, safeguarding.ViewNamedPupilActivity) {
				writeJSON(w, http.StatusForbidden, apiErr{Capability: string(safeguarding.ViewNamedPupilActivity), Field: "by",
					Error: fmt.Sprintf("counting by %s names people: it needs the %s role", k, safeguarding.OrList(safeguarding.RolesWith(safeguarding.ViewNamedPupilActivity)))})
				return
			}
			subject, keys[i] = k, "subject"
		default:
			if !slices.Contains(countKeys, k) {
				apiField(w, fieldErr("by", "cannot count by %q (want %s)", k, strings.Join(countKeys, ", ")))
				return
			}
			keys[i] = k
		}
	}
	if subject != "" && slices.Contains(keys, "group") {
		apiField(w, fieldErr("by", "count by group or by %s, not both (an event counts under each of its groups)", subject))
		return
	}
	now := c.now()
	since, fe := apiTime("since", q.Get("since"))
	if fe != nil {
		apiField(w, fe)
		return
	}
	until, fe := apiTime("until", q.Get("until"))
	if fe != nil {
		apiField(w, fe)
		return
	}
	if since.IsZero() {
		since = now.AddDate(0, 0, -7)
	}
	if until.IsZero() {
		until = now.Add(time.Hour) // the current hour too
	}
	var rows []store.SummaryRow
	var err error
	if subject == "" {
		rows, err = c.st.Counts(ctx, v.actor.Site, since, until, keys)
	} else {
		rows, err = c.st.Summarize(ctx, v.actorStore(), v.actor.Site, since, until, keys)
	}
	if err != nil {
		c.apiFail(w, r, err)
		return
	}
	names := c.namer(v)
	out := []map[string]any{}
	var named []string
	for _, row := range rows {
		m := map[string]any{"count": row.Count}
		keep := true
		for i, k := range by {
			val := row.Values[i]
			if keys[i] == "subject" {
				_, ipErr := netip.ParseAddr(val)
				isIP := ipErr == nil
				if isIP != (subject == "client") {
					keep = false
					break
				}
				if subject == "user" {
					ok, _, err := names.may(ctx, val)
					if err != nil {
						c.apiFail(w, r, err)
						return
					}
					if !ok {
						keep = false
						break
					}
					if !slices.Contains(named, val) {
						named = append(named, val)
					}
				}
			}
			m[k] = val
		}
		if keep {
			out = append(out, m)
		}
	}
	if subject != "" {
		if err := c.auditVisit(r, v, "api.activity.counts", "activity", map[string]any{"by": by, "users": named}); err != nil {
			c.apiFail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"by": by, "since": since.UTC(), "until": until.UTC(), "rows": out})
}
