package cli

import (
	"schoolgate/internal/report"
)

// reports builds the governors' report's sources for the console. The
// sanctions and the filtering checks are counted once their parts of
// Schoolgate give report.StoreSources their SanctionCounts and ChecksIn;
// until then the report says they are not recorded yet.
func (d *serveDeps) reports() *report.Reporter {
	return report.New(report.Options{Sources: report.StoreSources{Store: d.st.store}, Snapshot: d.engine.Snapshot, Now: d.now})
}
