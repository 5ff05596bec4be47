package cli

import (
	"context"
	"time"

	"schoolgate/internal/store"
)

// changeServices follows the changes other nodes make (and this one,
// through its console and the CLI) to what this node holds in memory:
//   - people: the directory drops the verified credentials of the people
//     changed and the resolver its cached groups, so a person disabled on
//     one node is refused on every node within a second;
//   - policy: a node (--site --node) looks for the new version at once;
//   - sessions: device sign-ins ended on another node of the school end
//     here too, and hold against the saved password as they do there.
//
// The live overrides feed follows its own kind (serve_store.go).
func (d *serveDeps) changeServices() ([]service, error) {
	if d.st.store == nil {
		return nil, nil
	}
	return []service{&changesService{d: d}}, nil
}

type changesService struct{ d *serveDeps }

func (s *changesService) Name() string { return "changes" }

func (s *changesService) Run(ctx context.Context) error {
	w := s.d.st.store.WatchChanges(ctx)
	var retry <-chan time.Time // a refresh failed: again in a second
	var failed store.Kinds
	for {
		k := failed
		select {
		case <-ctx.Done():
			return nil
		case <-w.C():
			k |= w.Take()
		case <-retry:
		}
		failed = s.apply(ctx, k, failed)
		if ctx.Err() != nil {
			return nil
		}
		retry = nil
		if failed != 0 {
			retry = time.After(time.Second)
		}
	}
}

// apply refreshes what k says changed and returns the kinds it could not
// (warning once: prev are the kinds that failed last time).
func (s *changesService) apply(ctx context.Context, k, prev store.Kinds) (failed store.Kinds) {
	d := s.d
	if k.Has(store.ChangeUsers) {
		d.ident.ForgetAll()
		if err := d.st.dir.Refresh(ctx); err != nil {
			if !prev.Has(store.ChangeUsers) && ctx.Err() == nil {
				d.log.Warn("changes: cannot check the people signed in against the directory; trying again", "err", err)
			}
			failed |= store.ChangeUsers
		}
	}
	if k.Has(store.ChangePolicy) && d.node != nil {
		d.node.Changed() // a policy version pushed: look now, not at the next poll
	}
	if k.Has(store.ChangeSessions) {
		ends, err := d.st.store.SignInEnds(ctx, d.engine.Snapshot().Config().Site.ID)
		if err != nil {
			if !prev.Has(store.ChangeSessions) && ctx.Err() == nil {
				d.log.Warn("changes: cannot read the device sign-ins ended on other nodes; trying again", "err", err)
			}
			return failed | store.ChangeSessions
		}
		for _, e := range ends {
			d.sessions.EndFrom(e.Addr, e.User, e.Until)
		}
		if err := d.st.store.PurgeSignInEnds(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("changes: cannot delete the ended sign-ins that no longer hold", "err", err)
		}
	}
	return failed
}
