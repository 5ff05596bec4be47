package cli

import (
	"context"
	"time"

	"schoolgate/internal/store"
)

// changeServices follows the changes other nodes make to people (and this
// one, through its console and the CLI): the directory drops the verified
// credentials of the people changed and the resolver their groups, so a
// person disabled on one node is refused on every node within a second.
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
	d := s.d
	w := d.st.store.WatchChanges(ctx)
	var retry <-chan time.Time // the directory could not be read: again in a second
	failing := false
	for {
		var k store.Kinds
		select {
		case <-ctx.Done():
			return nil
		case <-w.C():
			k = w.Take()
		case <-retry:
			k = store.ChangeUsers
		}
		if !k.Has(store.ChangeUsers) {
			continue
		}
		d.ident.ForgetAll()
		if err := d.st.dir.Refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !failing {
				d.log.Warn("changes: cannot check the people signed in against the directory; trying again", "err", err)
			}
			failing, retry = true, time.After(time.Second)
			continue
		}
		failing, retry = false, nil
	}
}
