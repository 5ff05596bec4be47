package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// LocalCopy is what a node needs to keep filtering when its database is
// unreachable, beyond the policy: who is in which groups (the identity
// resolver) and the overrides in force. serve writes it to the data
// directory after every successful load and reads it at start-up when the
// database does not answer. It names children, so it keeps only what
// filtering needs (no display names, e-mail addresses, password hashes or
// reasons) and its file is 0600.
type LocalCopy struct {
	Written   time.Time
	Users     []identity.User
	Overrides []policy.Override
}

// The file's records: short keys, only the fields filtering reads.
type localFile struct {
	Written   time.Time       `json:"written"`
	Users     []localUser     `json:"users"`
	Overrides []localOverride `json:"overrides"`
}

type localUser struct {
	Username  string          `json:"u"`
	Groups    []string        `json:"g,omitempty"`
	YearGroup string          `json:"y,omitempty"`
	Roles     []identity.Role `json:"r,omitempty"`
	Disabled  bool            `json:"d,omitempty"`
}

type localOverride struct {
	ID       int64     `json:"id"`
	Kind     string    `json:"kind"`
	User     string    `json:"user,omitempty"`
	Group    string    `json:"group,omitempty"`
	Client   string    `json:"client,omitempty"`
	Category string    `json:"category,omitempty"`
	Target   string    `json:"target,omitempty"`
	Verdict  string    `json:"verdict"`
	Created  time.Time `json:"created"`
	Until    time.Time `json:"until"`
}

// ErrLocalCopy is a local copy that is missing or cannot be read.
var ErrLocalCopy = errors.New("local copy")

// ReadLocalCopy reads the local copy of one school (the node's): its
// people and the overrides still in force there at now. The trust's own
// staff are not in it: cut off, they are placed by network.
func (s *Store) ReadLocalCopy(ctx context.Context, site string) (LocalCopy, error) {
	users, err := s.ListUsers(ctx, site)
	if err != nil {
		return LocalCopy{}, err
	}
	ovs, err := s.ActiveOverrides(ctx, site, s.now())
	if err != nil {
		return LocalCopy{}, err
	}
	return LocalCopy{Written: s.now(), Users: users, Overrides: ovs}, nil
}

// WriteLocalCopy writes c to path (0600) through a temporary file, so a
// crash leaves the previous copy whole.
func WriteLocalCopy(path string, c LocalCopy) error {
	f := localFile{Written: c.Written.UTC(), Users: make([]localUser, 0, len(c.Users)), Overrides: make([]localOverride, 0, len(c.Overrides))}
	for _, u := range c.Users {
		f.Users = append(f.Users, localUser{Username: u.Username, Groups: u.Groups, YearGroup: u.YearGroup, Roles: u.Roles, Disabled: u.Disabled})
	}
	for _, o := range c.Overrides {
		lo := localOverride{ID: o.ID, Kind: o.Kind, User: o.User, Group: o.Group, Category: o.Category, Target: o.Target,
			Verdict: o.Verdict.String(), Created: o.Created.UTC(), Until: o.Until.UTC()}
		if o.Client.IsValid() {
			lo.Client = o.Client.String()
		}
		f.Overrides = append(f.Overrides, lo)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLocalCopy, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".local-copy-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLocalCopy, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("%w: %w", ErrLocalCopy, err)
	}
	_, err = tmp.Write(b)
	if err = errors.Join(err, tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("%w: write %s: %w", ErrLocalCopy, path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%w: %w", ErrLocalCopy, err)
	}
	return nil
}

// LoadLocalCopy reads the local copy at path. An override whose verdict
// or client does not parse is an error: a copy that cannot be trusted
// whole is not used.
func LoadLocalCopy(path string) (LocalCopy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return LocalCopy{}, fmt.Errorf("%w: %w", ErrLocalCopy, err)
	}
	var f localFile
	if err := json.Unmarshal(b, &f); err != nil {
		return LocalCopy{}, fmt.Errorf("%w: %s: %w", ErrLocalCopy, path, err)
	}
	c := LocalCopy{Written: f.Written, Users: make([]identity.User, 0, len(f.Users)), Overrides: make([]policy.Override, 0, len(f.Overrides))}
	for _, u := range f.Users {
		c.Users = append(c.Users, identity.User{Username: u.Username, Groups: u.Groups, YearGroup: u.YearGroup, Roles: u.Roles, Disabled: u.Disabled})
	}
	for i, o := range f.Overrides {
		v, err := policy.ParseVerdict(o.Verdict)
		if err != nil {
			return LocalCopy{}, fmt.Errorf("%w: %s: override %d: verdict: %w", ErrLocalCopy, path, i+1, err)
		}
		po := policy.Override{ID: o.ID, Kind: o.Kind, User: o.User, Group: o.Group, Category: o.Category, Target: o.Target,
			Verdict: v, Created: o.Created, Until: o.Until}
		if o.Client != "" {
			if po.Client, err = netip.ParseAddr(o.Client); err != nil {
				return LocalCopy{}, fmt.Errorf("%w: %s: override %d: client: %w", ErrLocalCopy, path, i+1, err)
			}
		}
		c.Overrides = append(c.Overrides, po)
	}
	return c, nil
}
