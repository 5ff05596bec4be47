package safeguarding

import (
	"context"
	"fmt"
	"strings"

	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// AUAPublisher publishes new versions of the acceptable-use agreements
// (ManageAUA): stored in the database, where they take precedence over
// the policy file's aua: entries, so that everyone in the group is asked
// to accept again.
type AUAPublisher struct {
	st   *store.Store
	snap func() *policy.Snapshot
}

// NewAUAPublisher makes the publisher over the store and the running
// policy (which says which groups exist and their current versions).
func NewAUAPublisher(st *store.Store, snap func() *policy.Snapshot) *AUAPublisher {
	return &AUAPublisher{st: st, snap: snap}
}

// Publish stores version of group's agreement with its text, in the
// actor's site, audited in the same transaction. The group must be one of
// the policy's, and the version new to it (not its current one in the
// policy file, not one published before: ErrInvalid naming it).
func (p *AUAPublisher) Publish(ctx context.Context, a Actor, group, version, text string) (store.AUAVersion, error) {
	if err := check(a, ManageAUA); err != nil {
		return store.AUAVersion{}, err
	}
	group, version, text = strings.TrimSpace(group), strings.TrimSpace(version), strings.TrimSpace(text)
	snap := p.snap()
	switch {
	case group == "":
		return store.AUAVersion{}, fmt.Errorf("group: %w: choose the group", ErrInvalid)
	case version == "":
		return store.AUAVersion{}, fmt.Errorf("version: %w: give the new version a name, e.g. 2026-09", ErrInvalid)
	case text == "":
		return store.AUAVersion{}, fmt.Errorf("text: %w: the agreement's text is empty", ErrInvalid)
	}
	if _, ok := snap.GroupIndex(group); !ok {
		return store.AUAVersion{}, fmt.Errorf("group: %w: %q is not a group of the policy", ErrInvalid, group)
	}
	if cur, ok := snap.Config().AUA.Get(group); ok && cur.Version == version {
		return store.AUAVersion{}, fmt.Errorf("version: %w: %q is the policy file's current version for %s: a new version needs a new name", ErrInvalid, version, group)
	}
	site, err := a.school()
	if err != nil {
		return store.AUAVersion{}, err
	}
	v, err := p.st.PublishAUA(ctx, a.storeActor(), store.AUAVersion{Site: site, Group: group, Version: version, Text: text})
	return v, err
}
