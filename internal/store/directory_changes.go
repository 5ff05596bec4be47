package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"

	"schoolgate/internal/identity"
)

// Refresh drops the verified credentials of every person whose stored row
// has changed since it was checked (disabled, a new password, other
// groups or roles) or who is gone, so that a change made on another node
// holds here as soon as the change is seen (WatchChanges: ChangeUsers).
// The credentials of people unchanged stay: a change to one pupil does not
// make every signed-in browser's password be hashed again.
func (d *Directory) Refresh(ctx context.Context) error {
	d.mu.Lock()
	names := map[string]struct{}{}
	for _, c := range d.cache {
		names[c.user.Username] = struct{}{}
	}
	d.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	rows := make(map[string][32]byte, len(list))
	for len(list) > 0 {
		chunk := list[:min(len(list), 500)]
		list = list[len(chunk):]
		if err := d.st.userPrints(ctx, chunk, rows); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, c := range d.cache {
		if row, ok := rows[c.user.Username]; !ok || row != c.row {
			delete(d.cache, k)
		}
	}
	return nil
}

// userPrints adds the rowPrint of each of names still stored to out.
func (s *Store) userPrints(ctx context.Context, names []string, out map[string][32]byte) error {
	var in strings.Builder
	args := make([]any, len(names))
	for i, n := range names {
		if i > 0 {
			in.WriteByte(',')
		}
		in.WriteString("$" + strconv.Itoa(i+1))
		args[i] = n
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE username IN (`+in.String()+`)`, args...)
	if err != nil {
		return fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, hash, err := scanUser(rows)
		if err != nil {
			return fmt.Errorf("store: users: %w", err)
		}
		out[u.Username] = rowPrint(&u, hash)
	}
	return rows.Err()
}

// rowPrint is a digest of everything stored about a person that a cached
// credential depends on (the password hash among it, never kept itself).
func rowPrint(u *identity.User, hash string) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%q %q %q %q %q %q %t %t %q", u.Username, u.DisplayName, identity.JoinRoles(u.Roles),
		u.YearGroup, u.Email, joinList(u.Groups), u.Disabled, u.Shared, hash))
}
