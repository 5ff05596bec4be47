package console

import (
	"net/http"
	"strconv"
	"time"

	"schoolgate/internal/sitetime"
	"schoolgate/internal/store"
)

// apiChecks lists the site's checks, newest first: ?from= and ?to= (RFC
// 3339 or a site-local date) bound when they were done.
func (c *Console) apiChecks(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	var bounds [2]time.Time
	for i, k := range []string{"from", "to"} {
		if s := q.Get(k); s != "" {
			t, ok := sitetime.Parse(s, c.location())
			if !ok {
				apiField(w, fieldErr(k, "%q is not an RFC 3339 time or a date", s))
				return
			}
			bounds[i] = t
		}
	}
	list, err := c.chk.ListChecks(r.Context(), v.actor, bounds[0], bounds[1], 1000)
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	if list == nil {
		list = []store.Check{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"checks": list})
}

// apiCheckBody records a check by hand.
type apiCheckBody struct {
	At       string `json:"at"` // RFC 3339 (default now)
	Target   string `json:"target"`
	Tested   string `json:"tested"`
	Result   string `json:"result"`
	Actions  string `json:"actions"`
	Details  string `json:"details"`
	Corrects int64  `json:"corrects"`
	Reason   string `json:"reason"`
}

// apiCheckCreate records a check: 201 with its id, result and the
// findings it raised; unknown fields and bad values give 422.
func (c *Console) apiCheckCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	var b apiCheckBody
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	f := checkForm{At: b.At, Target: b.Target, Tested: b.Tested, Result: b.Result, Actions: b.Actions, Details: b.Details, Reason: b.Reason}
	if b.Corrects != 0 {
		f.Corrects = strconv.FormatInt(b.Corrects, 10)
	}
	in, fe := f.Validate(c.now(), c.location())
	if fe != nil {
		apiField(w, fe)
		return
	}
	k, fs, err := c.chk.RecordCheck(r.Context(), v.actor, in)
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	ids := make([]int64, len(fs))
	for i, x := range fs {
		ids[i] = x.ID
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": k.ID, "result": k.Result, "findings": ids})
}
