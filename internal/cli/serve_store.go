package cli

import "context"

// storeParts is what storage adds to serve (owned by the storage work).
type storeParts struct{}

// openStorage opens the database, starts the activity writer and the live
// overrides feed, and registers their closers on d.closers.
func (d *serveDeps) openStorage(ctx context.Context) error { return nil }
