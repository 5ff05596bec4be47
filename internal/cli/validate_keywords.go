package cli

import (
	"errors"
	"fmt"

	"schoolgate/internal/config"
	"schoolgate/internal/keywords"
	"schoolgate/internal/policy"
)

// validateKeywords reads the policy's keyword lists as serve would:
// a source that cannot be read, or any bad line, fails validate; a url:
// source not downloaded yet is a warning.
func validateKeywords(a *App, snap *policy.Snapshot, dataDir string) error {
	c := snap.Config()
	if len(c.Keywords) == 0 {
		return nil
	}
	s, err := keywords.Load(c, dataDir)
	if errors.Is(err, keywords.ErrBadLine) {
		return fmt.Errorf("%w: keyword lists: %w", config.ErrInvalid, err)
	}
	if err != nil {
		return err
	}
	for _, w := range s.Warnings() {
		fmt.Fprintf(a.Stdout, "warning: %s\n", safe(w))
	}
	fmt.Fprintf(a.Stdout, "keywords: %d lists, %d phrases and exclusions\n", len(s.Lists()), s.Phrases())
	return nil
}
