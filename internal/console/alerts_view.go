package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// alertActor is the signed-in person acting on alerts: their scope is
// their own record's site, never this node's.
func (c *Console) alertActor(v *visit) safeguarding.Actor {
	return v.actor
}

// alertRow is one alert as the pages show it.
type alertRow struct {
	store.Alert
	Who string
}

func (c *Console) toAlertRow(a store.Alert) alertRow {
	a.FirstSeen, a.LastSeen = a.FirstSeen.In(c.location()), a.LastSeen.In(c.location())
	row := alertRow{Alert: a, Who: a.User}
	if a.User == "" {
		row.Who = "device " + a.Client
	}
	return row
}

// alertForm is the close form (and the API's close body).
type alertForm struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

func (f alertForm) Validate() *FieldError {
	if !strings.Contains(" "+strings.Join(store.AlertOutcomes, " ")+" ", " "+f.Outcome+" ") || f.Outcome == "" {
		return fieldErr("outcome", "choose %s", strings.Join(store.AlertOutcomes, ", "))
	}
	if len(f.Note) > 4000 {
		return fieldErr("note", "keep the note under 4,000 characters")
	}
	return nil
}

// alertID reads the {id} of an alert route.
func alertID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// alertStatus says how an alert operation's refusal is answered.
func alertStatus(err error) int {
	switch {
	case errors.Is(err, safeguarding.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrAlertState):
		return http.StatusConflict
	case errors.Is(err, store.ErrInvalid), errors.Is(err, safeguarding.ErrInvalid):
		return http.StatusUnprocessableEntity
	}
	return 0
}

// liveAlertCount is the number of new alerts the visitor may see, for
// the layout; nil for a visitor who sees none.
func (c *Console) liveAlertCount(r *http.Request, v *visit) *int64 {
	if c.alerts == nil || v == nil || !v.complete() {
		return nil
	}
	a := c.alertActor(v)
	if !safeguarding.CanSeeAlerts(a) {
		return nil
	}
	n, err := c.alerts.Count(r.Context(), a, store.AlertNew)
	if err != nil {
		c.log.Error("console: counting alerts", "err", err)
		return nil
	}
	return &n
}
