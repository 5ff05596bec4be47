package cli

import (
	"fmt"
	"io"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/selftest"
)

// checkSelftest says which selftest.probes names their categories do not
// list. An illegal category's test entry must be in its list (the probe
// would otherwise test nothing): that is an error; another category's
// name is a warning (its list may not be downloaded yet).
func checkSelftest(w io.Writer, path string, snap *policy.Snapshot) error {
	for _, u := range selftest.UnlistedProbes(snap) {
		if u.Illegal {
			return fmt.Errorf("%s:%d: %w: selftest.probes.%s: %s is not in the category's lists: add the test entry to its list", path, u.Line, config.ErrInvalid, u.Category, u.Host)
		}
		fmt.Fprintf(w, "warning: %s:%d: selftest.probes.%s: %s is not in the category's lists: the self-test will report it\n", path, u.Line, u.Category, safe(u.Host))
	}
	return nil
}
