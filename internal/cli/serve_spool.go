package cli

import "path/filepath"

// activitySpoolDir is the activity log's local spool in the data
// directory ("": none, when serve has no data directory).
func activitySpoolDir(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "activity-spool")
}
