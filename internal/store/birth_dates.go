package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"schoolgate/internal/identity"
)

// setBirthDates stores the file's dates of birth (an empty cell clears
// one) and counts the changes.
func (t *tx) setBirthDates(ctx context.Context, f *identity.ImportFile) (int, error) {
	n := 0
	for _, r := range f.Rows {
		var old string
		err := t.QueryRowContext(ctx, `SELECT date_of_birth FROM birth_dates WHERE username = $1`, r.User.Username).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("store: date of birth: %w", err)
		}
		switch {
		case old == r.DateOfBirth:
			continue
		case r.DateOfBirth == "":
			_, err = t.ExecContext(ctx, `DELETE FROM birth_dates WHERE username = $1`, r.User.Username)
		case old == "":
			_, err = t.ExecContext(ctx, `INSERT INTO birth_dates (username, date_of_birth) VALUES ($1, $2)`, r.User.Username, r.DateOfBirth)
		default:
			_, err = t.ExecContext(ctx, `UPDATE birth_dates SET date_of_birth = $1 WHERE username = $2`, r.DateOfBirth, r.User.Username)
		}
		if err != nil {
			return 0, fmt.Errorf("store: date of birth (line %d): %w", r.Line, err)
		}
		n++
	}
	return n, nil
}

// SetDateOfBirth records (or, with "", forgets) one person's date of
// birth (YYYY-MM-DD). The audit record says it changed, not to what.
func (s *Store) SetDateOfBirth(ctx context.Context, by Actor, username, dob string) error {
	dob, err := identity.ParseDateOfBirth(dob)
	if err != nil {
		return fmt.Errorf("store: %w: %w", ErrInvalid, err)
	}
	return s.write(ctx, by, func(t *tx) error {
		f := &identity.ImportFile{Rows: []identity.ImportRow{{User: identity.User{Username: username}, DateOfBirth: dob}}}
		if _, err := t.setBirthDates(ctx, f); err != nil {
			return err
		}
		t.audit("user.date_of_birth", "user:"+username, nil, map[string]bool{"set": dob != ""})
		return nil
	})
}

// DateOfBirth returns a person's date of birth (YYYY-MM-DD), or "" when
// none is known.
func (s *Store) DateOfBirth(ctx context.Context, username string) (string, error) {
	var dob string
	err := s.r.QueryRowContext(ctx, `SELECT date_of_birth FROM birth_dates WHERE username = $1`, username).Scan(&dob)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: date of birth: %w", err)
	}
	return dob, nil
}
