package store

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/policy"
)

// PersonRecord is what a person's chronology shows besides their
// activity: their requests, the grants made to them, their acceptances
// of the acceptable-use agreement and the concerns they raised, each in
// [since, until).
type PersonRecord struct {
	Requests    []Request
	Grants      []policy.Override
	Acceptances []Acceptance
	Concerns    []Concern
}

// personLimit caps each list of a chronology.
const personLimit = 500

// Person reads user's record in [since, until). It is safeguarding data
// about one person: the caller audits the view (object user:NAME).
func (s *Store) Person(ctx context.Context, user string, since, until time.Time) (PersonRecord, error) {
	var p PersonRecord
	if user == "" {
		return p, fmt.Errorf("store: %w: no person named", ErrInvalid)
	}
	from, to := micro(since), micro(until)
	rows, err := s.r.QueryContext(ctx, `SELECT `+requestCols+` FROM requests WHERE username = $1 AND created >= $2 AND created < $3 ORDER BY created DESC LIMIT $4`,
		user, from, to, personLimit)
	if err != nil {
		return p, fmt.Errorf("store: requests of a person: %w", err)
	}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			rows.Close()
			return p, fmt.Errorf("store: requests of a person: %w", err)
		}
		p.Requests = append(p.Requests, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("store: requests of a person: %w", err)
	}
	if p.Grants, err = s.listOverrides(ctx, `WHERE username = $1 AND created >= $2 AND created < $3 ORDER BY created DESC LIMIT $4`, user, from, to, personLimit); err != nil {
		return p, err
	}
	arows, err := s.r.QueryContext(ctx, `SELECT username, grp, version, accepted_at, client FROM aua_acceptances
		WHERE username = $1 AND accepted_at >= $2 AND accepted_at < $3 ORDER BY accepted_at DESC LIMIT $4`, user, from, to, personLimit)
	if err != nil {
		return p, fmt.Errorf("store: acceptances of a person: %w", err)
	}
	for arows.Next() {
		var a Acceptance
		var at int64
		if err := arows.Scan(&a.User, &a.Group, &a.Version, &at, &a.Client); err != nil {
			arows.Close()
			return p, fmt.Errorf("store: acceptances of a person: %w", err)
		}
		a.AcceptedAt = fromMicro(at)
		p.Acceptances = append(p.Acceptances, a)
	}
	arows.Close()
	if err := arows.Err(); err != nil {
		return p, fmt.Errorf("store: acceptances of a person: %w", err)
	}
	crows, err := s.r.QueryContext(ctx, `SELECT `+concernCols+` FROM concerns WHERE username = $1 AND created >= $2 AND created < $3 ORDER BY created DESC LIMIT $4`,
		user, from, to, personLimit)
	if err != nil {
		return p, fmt.Errorf("store: concerns of a person: %w", err)
	}
	defer crows.Close()
	for crows.Next() {
		c, err := scanConcern(crows)
		if err != nil {
			return p, fmt.Errorf("store: concerns of a person: %w", err)
		}
		p.Concerns = append(p.Concerns, c)
	}
	return p, crows.Err()
}
