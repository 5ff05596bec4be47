package cli

import (
	"schoolgate/internal/report"
)

// reports builds the governors' report over everything the store keeps.
func (d *serveDeps) reports() *report.Reporter {
	return report.New(report.Options{Sources: report.FromStore(d.st.store), Snapshot: d.engine.Snapshot, Now: d.now})
}
