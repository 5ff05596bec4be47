package console

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// activityQuery is a search of the activity log.
type activityQuery struct {
	Filter store.ActivityFilter
	Group  string
	Limit  int
	// After is the cursor: the time of the last event of the previous
	// page and how many events at that very time it had passed.
	After     time.Time
	AfterSkip int
}

var activityParams = []string{"user", "group", "host", "category", "verdict", "since", "until", "limit", "cursor"}

// readActivityQuery reads and checks the query string; the error names
// the parameter.
func readActivityQuery(q url.Values) (activityQuery, *FieldError) {
	var a activityQuery
	for k := range q {
		if !slices.Contains(activityParams, k) {
			return a, fieldErr(k, "unknown parameter (want %s)", strings.Join(activityParams, ", "))
		}
	}
	a.Filter = store.ActivityFilter{User: strings.ToLower(q.Get("user")), Host: q.Get("host"), Category: q.Get("category"), Verdict: q.Get("verdict"), Limit: -1}
	a.Group = q.Get("group")
	switch a.Filter.Verdict {
	case "", "allow", "warn", "block":
	default:
		return a, fieldErr("verdict", "%q: want allow, warn or block", a.Filter.Verdict)
	}
	var fe *FieldError
	if a.Filter.Since, fe = apiTime("since", q.Get("since")); fe != nil {
		return a, fe
	}
	if a.Filter.Until, fe = apiTime("until", q.Get("until")); fe != nil {
		return a, fe
	}
	a.Limit = 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return a, fieldErr("limit", "%q: want a number from 1 to 1000", s)
		}
		a.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		at, skip, err := decodeCursor(s)
		if err != nil {
			return a, fieldErr("cursor", "not a cursor of this API: pass the \"next\" of the previous page as it is")
		}
		a.After, a.AfterSkip = at, skip
	}
	return a, nil
}

// apiTime reads an RFC 3339 time or a date (midnight UTC).
func apiTime(field, s string) (time.Time, *FieldError) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fieldErr(field, "%q: want an RFC 3339 time (2026-03-09T10:00:00Z) or a date (2026-03-09)", s)
}

func encodeCursor(at time.Time, skip int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", at.UnixMicro(), skip))
}

func decodeCursor(s string) (time.Time, int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, 0, err
	}
	us, sk, ok := strings.Cut(string(b), ":")
	at, err1 := strconv.ParseInt(us, 10, 64)
	skip, err2 := strconv.Atoi(sk)
	if !ok || err1 != nil || err2 != nil || skip < 1 || at <= 0 {
		return time.Time{}, 0, errors.New("bad cursor")
	}
	return time.UnixMicro(at), skip, nil
}

// eventView is an event as the API shows it.
type eventView struct {
	Time       time.Time `json:"time"`
	Client     string    `json:"client,omitempty"`
	User       string    `json:"user,omitempty"`
	Groups     []string  `json:"groups,omitempty"`
	Host       string    `json:"host"`
	URL        string    `json:"url,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	Verdict    string    `json:"verdict"`
	Illegal    bool      `json:"illegal,omitempty"`
	Rule       string    `json:"rule,omitempty"`
	Point      string    `json:"point,omitempty"`
	Search     string    `json:"search,omitempty"`
	Action     string    `json:"action,omitempty"`
	Ref        string    `json:"ref,omitempty"`
}

func toEventView(e activity.Event) eventView {
	ev := eventView{Time: e.Time.UTC(), User: e.User, Groups: e.Groups, Host: e.Host, URL: e.URL, Categories: e.Categories,
		Verdict: e.Verdict, Illegal: e.Illegal, Rule: e.Rule, Point: string(e.Point), Search: e.Search, Action: e.Action, Ref: e.Ref}
	if e.Client.IsValid() {
		ev.Client = e.Client.String()
	}
	return ev
}

// errPageFull stops a search once a page (and one more) is found.
var errPageFull = errors.New("page full")

// apiActivity searches the activity log, newest first, a page at a time
// (keyset pagination: "next" is the cursor of the following page). It
// needs a named pupil's activity; a member of staff's events are shown
// only to a role that may see them (dropped from the page otherwise, and
// 403 when the search names one). The search is audited by the store,
// and the view with the people it names (object user:NAME when the
// search names one).
func (c *Console) apiActivity(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	q, fe := readActivityQuery(r.URL.Query())
	if fe != nil {
		apiField(w, fe)
		return
	}
	names := c.namer(v)
	if q.Filter.User != "" {
		ok, missing, err := names.may(ctx, q.Filter.User)
		if err != nil {
			c.apiFail(w, r, err)
			return
		}
		if !ok {
			writeJSON(w, http.StatusForbidden, apiErr{Capability: string(missing), Field: "user",
				Error: fmt.Sprintf("your roles do not allow this person's activity: it needs the %s role (%s)", safeguarding.OrList(safeguarding.RolesWith(missing)), missing)})
			return
		}
	}
	events, next, err := c.apiActivityPage(ctx, v, q, names)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			apiField(w, fieldErr("query", "%v", err))
			return
		}
		c.apiFail(w, r, err)
		return
	}
	resp := map[string]any{"events": events}
	if next != "" {
		resp["next"] = next
	}
	object, shown := "activity", named{users: []string{}}
	if q.Filter.User != "" {
		object = "user:" + q.Filter.User
	}
	for _, e := range events {
		shown.add(e.User)
	}
	if err := c.auditVisit(r, v, "api.activity.view", object, map[string]any{"users": shown.users, "events": len(events)}); err != nil {
		c.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// apiActivityPage finds a page of the events the caller may see, and the
// cursor of the next page ("" at the end). It reads the log in batches
// (a page and one more, then twice as many each time), so that a search
// never asks the database for the whole log; the events a batch passes
// over (another group's, or people the caller may not see) only cost a
// bigger next batch.
func (c *Console) apiActivityPage(ctx context.Context, v *visit, q activityQuery, names *namer) ([]eventView, string, error) {
	events := []eventView{}
	after, afterSkip := q.After, q.AfterSkip
	batch := q.Limit + 1 + afterSkip
	lastSkip := 0 // the cursor's count, at the time of the last event shown
	for {
		f := q.Filter
		f.Limit = batch
		if !after.IsZero() {
			// Until is exclusive: include after's own microsecond, whose
			// first afterSkip events were passed already.
			if u := after.Add(time.Microsecond); f.Until.IsZero() || u.Before(f.Until) {
				f.Until = u
			}
		}
		// Count every event at the time of the last one passed, shown or
		// not, so that a cursor skips exactly these.
		last, atLast, read, more := after, 0, 0, false
		err := c.st.SearchActivity(ctx, v.actorStore(), f, func(e activity.Event) error {
			read++
			if e.Time.Equal(last) {
				atLast++
			} else {
				last, atLast = e.Time, 1
			}
			if !after.IsZero() && e.Time.Equal(after) && atLast <= afterSkip {
				return nil
			}
			if q.Group != "" && !slices.Contains(e.Groups, q.Group) {
				return nil
			}
			if e.User != "" {
				ok, _, err := names.may(ctx, e.User)
				if err != nil {
					return err
				}
				if !ok {
					return nil
				}
			}
			if len(events) == q.Limit {
				more = true
				return errPageFull
			}
			events = append(events, toEventView(e))
			lastSkip = atLast
			return nil
		})
		switch {
		case errors.Is(err, errPageFull):
			return events, encodeCursor(events[len(events)-1].Time, lastSkip), nil
		case err != nil:
			return nil, "", err
		case read < batch || more:
			return events, "", nil // the end of the log
		}
		// The batch ran out before the page filled: go on after its last
		// event.
		after, afterSkip, batch = last, atLast, batch*2
	}
}
