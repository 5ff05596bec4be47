package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/store"
	"schoolgate/internal/subject"
)

// SubjectAccessStore is the persistence subject-access requests need.
type SubjectAccessStore interface {
	subject.Sources
	CreateSubjectRequest(ctx context.Context, by store.Actor, site, username string, receivedAt time.Time) (store.SubjectRequest, error)
	GetSubjectRequest(ctx context.Context, site string, id int64) (store.SubjectRequest, error)
	ListSubjectRequests(ctx context.Context, site string) ([]store.SubjectRequest, error)
	WithholdSubjectItem(ctx context.Context, by store.Actor, site string, id int64, w store.Withholding) error
	SubjectWithheld(ctx context.Context, id int64) ([]store.Withholding, error)
	ReleaseSubjectRequest(ctx context.Context, by store.Actor, site string, id int64, items, withheld int) error
	Audit(ctx context.Context, by store.Actor, action, object string, before, after any) error
}

// SubjectAccessOptions builds a SubjectRequests.
type SubjectAccessOptions struct {
	Store SubjectAccessStore
	// Retention is the policy's (the activity log goes back as far as it
	// keeps events).
	Retention func() config.Retention
	Now       func() time.Time
}

// SubjectRequests runs subject-access requests: a person's right to a copy
// of what is held about them (UK GDPR article 15), answered within a
// month, reviewed by the dsl before release, items withheld only under a
// Data Protection Act 2018 exemption with the reason recorded.
type SubjectRequests struct {
	st        SubjectAccessStore
	retention func() config.Retention
	now       func() time.Time
}

// NewSubjectRequests makes a SubjectRequests.
func NewSubjectRequests(opt SubjectAccessOptions) *SubjectRequests {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Retention == nil {
		opt.Retention = func() config.Retention { return config.Retention{} }
	}
	return &SubjectRequests{st: opt.Store, retention: opt.Retention, now: opt.Now}
}

// Exemption is a ground for withholding an item.
type Exemption struct {
	Name  string
	Title string
}

// Exemptions are the Data Protection Act 2018 grounds a school uses.
var Exemptions = []Exemption{
	{"serious-harm", "Serious harm: releasing it would be likely to cause serious harm to the physical or mental health of any individual (DPA 2018 Sch. 3)"},
	{"crime", "Crime: releasing it would be likely to prejudice the prevention or detection of crime (DPA 2018 Sch. 2 para. 2)"},
	{"third-party", "Another person: it would identify someone else who has not consented (DPA 2018 Sch. 2 para. 16)"},
	{"child-abuse", "Child abuse data: releasing it to a parent would not be in the child's best interests (DPA 2018 Sch. 3 para. 21)"},
}

// Open logs a request received (at receivedAt; zero means now) from or
// for username.
func (s *SubjectRequests) Open(ctx context.Context, a Actor, username string, receivedAt time.Time) (store.SubjectRequest, error) {
	if err := check(a, SubjectAccess); err != nil {
		return store.SubjectRequest{}, err
	}
	if _, err := s.st.GetUser(ctx, username); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, identity.ErrNotFound) {
			return store.SubjectRequest{}, fmt.Errorf("%w: user: no one named %q in the user directory", ErrInvalid, username)
		}
		return store.SubjectRequest{}, err
	}
	if receivedAt.IsZero() {
		receivedAt = s.now()
	}
	if receivedAt.After(s.now().Add(time.Minute)) {
		return store.SubjectRequest{}, fmt.Errorf("%w: received: a request cannot arrive in the future", ErrInvalid)
	}
	return s.st.CreateSubjectRequest(ctx, a.storeActor(), a.Site, username, receivedAt)
}

// List returns the site's requests, open ones first by due date.
func (s *SubjectRequests) List(ctx context.Context, a Actor) ([]store.SubjectRequest, error) {
	if err := check(a, SubjectAccess); err != nil {
		return nil, err
	}
	return s.st.ListSubjectRequests(ctx, a.Site)
}

func (s *SubjectRequests) build(ctx context.Context, a Actor, r store.SubjectRequest) (*subject.Export, error) {
	now := s.now()
	from := time.Time{}
	if d := s.retention().Activity.D(); d > 0 {
		from = now.Add(-d)
	}
	e, err := subject.Build(ctx, s.st, r.Username, subject.Options{Site: a.Site, By: a.storeActor(), ActivityFrom: from, Now: now})
	if err != nil {
		return nil, err
	}
	e.Request = &subject.RequestInfo{ID: r.ID, ReceivedAt: r.ReceivedAt, DueAt: r.DueAt}
	return e, nil
}

// Review builds the whole export for the dsl to read before release, with
// what is withheld so far. The review is audited.
func (s *SubjectRequests) Review(ctx context.Context, a Actor, id int64) (*subject.Export, []store.Withholding, error) {
	if err := check(a, SubjectAccess); err != nil {
		return nil, nil, err
	}
	r, err := s.st.GetSubjectRequest(ctx, a.Site, id)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.build(ctx, a, r)
	if err != nil {
		return nil, nil, err
	}
	ws, err := s.st.SubjectWithheld(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.st.Audit(ctx, a.storeActor(), "subject.review", fmt.Sprintf("subject-request:%d", id), nil, map[string]any{"users": []string{r.Username}, "items": e.Count()}); err != nil {
		return nil, nil, err
	}
	return e, ws, nil
}

// Withhold keeps one item (or the whole activity log, "activity") out of
// the export, under an exemption, with the reason.
func (s *SubjectRequests) Withhold(ctx context.Context, a Actor, id int64, item, exemption, reason string) error {
	if err := check(a, SubjectAccess); err != nil {
		return err
	}
	if !slices.ContainsFunc(Exemptions, func(e Exemption) bool { return e.Name == exemption }) {
		names := make([]string, len(Exemptions))
		for i, e := range Exemptions {
			names[i] = e.Name
		}
		return fmt.Errorf("%w: exemption: %q is not one of %s", ErrInvalid, exemption, strings.Join(names, ", "))
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("%w: reason: say why the exemption applies", ErrInvalid)
	}
	r, err := s.st.GetSubjectRequest(ctx, a.Site, id)
	if err != nil {
		return err
	}
	e, err := s.build(ctx, a, r)
	if err != nil {
		return err
	}
	if !e.Has(item) {
		return fmt.Errorf("%w: item: the export has no item %q", ErrInvalid, item)
	}
	return s.st.WithholdSubjectItem(ctx, a.storeActor(), a.Site, id, store.Withholding{Item: item, Exemption: exemption, Reason: reason})
}

// Release builds the export without the withheld items and records its
// release; the caller hands over the ZIP (subject.Export.WriteZIP).
func (s *SubjectRequests) Release(ctx context.Context, a Actor, id int64) (*subject.Export, error) {
	if err := check(a, SubjectAccess); err != nil {
		return nil, err
	}
	r, err := s.st.GetSubjectRequest(ctx, a.Site, id)
	if err != nil {
		return nil, err
	}
	if r.Status != store.SubjectOpen {
		return nil, fmt.Errorf("%w: request %d was released on %s", ErrInvalid, id, r.ReleasedAt.Format(time.DateOnly))
	}
	e, err := s.build(ctx, a, r)
	if err != nil {
		return nil, err
	}
	ws, err := s.st.SubjectWithheld(ctx, id)
	if err != nil {
		return nil, err
	}
	out := e.Without(ws)
	if err := s.st.ReleaseSubjectRequest(ctx, a.storeActor(), a.Site, id, out.Count(), len(ws)); err != nil {
		return nil, err
	}
	return out, nil
}
