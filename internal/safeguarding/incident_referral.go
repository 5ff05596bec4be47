package safeguarding

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"schoolgate/internal/store"
)

// Referral is a referral made outside the school: an allegation against
// an adult to the headteacher and the local authority designated
// officer (LADO); a pupil's incident to the police, CEOP, children's
// social care. Who made it is the actor recording it.
type Referral struct {
	To        string    `json:"to"`
	Reference string    `json:"reference,omitempty"`
	At        time.Time `json:"at"`
}

// ReferralOf reads a referral entry's data (false for another kind).
func ReferralOf(e store.IncidentEntry) (Referral, bool) {
	var r Referral
	if e.Kind != EntryReferral || json.Unmarshal([]byte(e.Data), &r) != nil {
		return Referral{}, false
	}
	return r, true
}

// Refer records a referral of the incident (to whom, their reference,
// when it was made), by a. Anyone who may read the incident in full may
// record one, on an open or closed incident: a referral made is a fact
// to keep whatever the incident's status.
func (s *Incidents) Refer(ctx context.Context, a Actor, id int64, r Referral) (store.IncidentEntry, error) {
	r.To, r.Reference = strings.TrimSpace(r.To), strings.TrimSpace(r.Reference)
	switch {
	case r.To == "":
		return store.IncidentEntry{}, fmt.Errorf("%w: to: say to whom the incident was referred", ErrInvalid)
	case len(r.To) > 200:
		return store.IncidentEntry{}, fmt.Errorf("%w: to: 200 characters at most", ErrInvalid)
	case len(r.Reference) > 200:
		return store.IncidentEntry{}, fmt.Errorf("%w: reference: 200 characters at most", ErrInvalid)
	case r.At.IsZero():
		return store.IncidentEntry{}, fmt.Errorf("%w: at: when was the referral made?", ErrInvalid)
	case r.At.After(s.now().Add(5 * time.Minute)):
		return store.IncidentEntry{}, fmt.Errorf("%w: at: %s is in the future", ErrInvalid, r.At.Format(time.RFC3339))
	}
	if _, err := s.writable(ctx, a, id); err != nil {
		return store.IncidentEntry{}, err
	}
	r.At = r.At.UTC().Truncate(time.Second)
	data, err := json.Marshal(r)
	if err != nil {
		return store.IncidentEntry{}, fmt.Errorf("referral: %w", err)
	}
	return s.st.AppendIncidentEntry(ctx, a.storeActor(), a.Site, id, store.IncidentEntry{Kind: EntryReferral, Text: r.To, Data: string(data)})
}

// AboutStaffAdvice is what the record of an incident about staff says.
const AboutStaffAdvice = "This incident involves a member of staff. An allegation against an adult goes to the headteacher and the local authority designated officer (LADO), never to colleagues. Record the referral below."
