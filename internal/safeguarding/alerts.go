package safeguarding

import (
	"context"
	"fmt"
	"strconv"

	"schoolgate/internal/store"
)

// AlertStore is the persistence the alert operations need
// (*store.Store implements it).
type AlertStore interface {
	ListAlerts(ctx context.Context, sc store.AlertScope, f store.AlertFilter) ([]store.Alert, error)
	CountAlerts(ctx context.Context, sc store.AlertScope, status string) (int64, error)
	GetAlert(ctx context.Context, sc store.AlertScope, id int64) (store.Alert, error)
	AlertEvents(ctx context.Context, id int64) ([]store.AlertEvent, error)
	AlertNotes(ctx context.Context, id int64) ([]store.AlertNote, error)
	AckAlert(ctx context.Context, by store.Actor, sc store.AlertScope, id int64) error
	CloseAlert(ctx context.Context, by store.Actor, sc store.AlertScope, id int64, outcome, note string) error
	AssignAlert(ctx context.Context, by store.Actor, sc store.AlertScope, id int64, assignee string) error
	AddAlertNote(ctx context.Context, by store.Actor, sc store.AlertScope, id int64, text string) (store.AlertNote, error)
	LinkAlertIncident(ctx context.Context, by store.Actor, sc store.AlertScope, id, incident int64) error
	Audit(ctx context.Context, by store.Actor, action, object string, before, after any) error
}

// Alerts runs the operations on monitoring alerts. Who sees what
// (issue 12): pupils' alerts, with names, to ReadPupilAlerts (dsl,
// esafety-lead); alerts about staff to ReadStaffAlerts (dsl, slt);
// circumvention alerts to ReadCircumventionAlerts (technical); nobody
// else sees any. The scope is applied in every store query, and the site
// is the actor's.
type Alerts struct {
	st AlertStore
}

// NewAlerts makes the alert operations over st.
func NewAlerts(st AlertStore) *Alerts { return &Alerts{st: st} }

// AlertScope is what a reads: their site, and which alerts their roles
// open. CanSeeAlerts says whether it opens any.
func AlertScope(a Actor) store.AlertScope {
	// An actor without a site reads nothing (the store matches no row
	// for an empty site); trust staff's "*" reads every school.
	return store.AlertScope{Site: a.Site, Pupils: Can(a.Roles, ReadPupilAlerts), Staff: Can(a.Roles, ReadStaffAlerts),
		Circumvention: Can(a.Roles, ReadCircumventionAlerts)}
}

// CanSeeAlerts says whether any of the actor's roles reads some alerts.
func CanSeeAlerts(a Actor) bool {
	sc := AlertScope(a)
	return sc.Pupils || sc.Staff || sc.Circumvention
}

func checkAlerts(a Actor) (store.AlertScope, error) {
	if !CanSeeAlerts(a) {
		return store.AlertScope{}, &ForbiddenError{Actor: a, Capability: ReadPupilAlerts}
	}
	return AlertScope(a), nil
}

// List lists the alerts the actor may see; the view, and the people it
// names, go into the audit trail.
func (s *Alerts) List(ctx context.Context, a Actor, f store.AlertFilter) ([]store.Alert, error) {
	sc, err := checkAlerts(a)
	if err != nil {
		return nil, err
	}
	list, err := s.st.ListAlerts(ctx, sc, f)
	if err != nil {
		return nil, err
	}
	var users []string
	seen := map[string]bool{}
	for _, al := range list {
		if al.User != "" && !seen[al.User] {
			seen[al.User] = true
			users = append(users, al.User)
		}
	}
	if err := s.st.Audit(ctx, a.storeActor(), "alerts.view", "alerts", nil, map[string]any{"users": users, "status": f.Status}); err != nil {
		return nil, err
	}
	return list, nil
}

// Count counts the actor's alerts in a status ("" all): a number naming
// nobody, not audited (the console's live count).
func (s *Alerts) Count(ctx context.Context, a Actor, status string) (int64, error) {
	sc, err := checkAlerts(a)
	if err != nil {
		return 0, err
	}
	return s.st.CountAlerts(ctx, sc, status)
}

// AlertRecord is one alert with its copied events and notes.
type AlertRecord struct {
	Alert  store.Alert
	Events []store.AlertEvent
	Notes  []store.AlertNote
}

// Get opens one alert the actor may see (store.ErrNotFound for any
// other); the view is audited with the person it names.
func (s *Alerts) Get(ctx context.Context, a Actor, id int64) (AlertRecord, error) {
	sc, err := checkAlerts(a)
	if err != nil {
		return AlertRecord{}, err
	}
	var r AlertRecord
	if r.Alert, err = s.st.GetAlert(ctx, sc, id); err != nil {
		return r, err
	}
	object := "alert:" + strconv.FormatInt(id, 10)
	if r.Alert.User != "" {
		object = "user:" + r.Alert.User
	}
	if err := s.st.Audit(ctx, a.storeActor(), "alert.view", object, nil, map[string]any{"alert": id}); err != nil {
		return r, err
	}
	if r.Events, err = s.st.AlertEvents(ctx, id); err != nil {
		return r, err
	}
	if r.Notes, err = s.st.AlertNotes(ctx, id); err != nil {
		return r, err
	}
	return r, nil
}

// LinkIncident records the incident opened from an alert the actor may
// see (the incident holds the alert as evidence: the link goes both
// ways).
func (s *Alerts) LinkIncident(ctx context.Context, a Actor, id, incident int64) error {
	sc, err := checkAlerts(a)
	if err != nil {
		return err
	}
	return s.st.LinkAlertIncident(ctx, a.storeActor(), sc, id, incident)
}

// Ack acknowledges a new alert (escalation stops).
func (s *Alerts) Ack(ctx context.Context, a Actor, id int64) error {
	sc, err := checkAlerts(a)
	if err != nil {
		return err
	}
	return s.st.AckAlert(ctx, a.storeActor(), sc, id)
}

// Close closes an alert with an outcome (true-concern, false-positive,
// duplicate) and an optional note.
func (s *Alerts) Close(ctx context.Context, a Actor, id int64, outcome, note string) error {
	sc, err := checkAlerts(a)
	if err != nil {
		return err
	}
	return s.st.CloseAlert(ctx, a.storeActor(), sc, id, outcome, note)
}

// Assign gives an alert to a person who may read it ("" unassigns).
func (s *Alerts) Assign(ctx context.Context, a Actor, id int64, assignee string) error {
	sc, err := checkAlerts(a)
	if err != nil {
		return err
	}
	if len(assignee) > 64 {
		return fmt.Errorf("%w: the assignee's name is too long", ErrInvalid)
	}
	return s.st.AssignAlert(ctx, a.storeActor(), sc, id, assignee)
}

// Note appends a note to an alert.
func (s *Alerts) Note(ctx context.Context, a Actor, id int64, text string) (store.AlertNote, error) {
	sc, err := checkAlerts(a)
	if err != nil {
		return store.AlertNote{}, err
	}
	return s.st.AddAlertNote(ctx, a.storeActor(), sc, id, text)
}
