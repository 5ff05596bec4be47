package keywords

import (
	"errors"
	"fmt"
	"io/fs"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// Load reads the policy's keyword lists (keywords:): path: sources from
// the policy's folder, url: sources from their downloaded copies in the
// list cache under dataDir, as category lists are.
//
// A source that cannot be read is an error naming the policy file, line
// and field, and no Set. Bad lines in a list are not: Load returns the
// Set of every good line together with an error listing each bad line
// (errors.Is(err, ErrBadLine)), for the caller to report loudly while
// monitoring goes on. A url: source not downloaded yet, and a list with
// no phrases, are in the Set's Warnings.
func Load(c *config.Config, dataDir string) (*Set, error) {
	cacheDir := policy.CacheDir(c, dataDir)
	var (
		lists    []List
		bad      []error
		warnings []string
	)
	for _, e := range c.Keywords {
		l := List{Name: e.Name, Fuzzy: e.Value.Fuzzy}
		for j, src := range e.Value.Sources {
			field := fmt.Sprintf("keywords.%s.sources[%d]", e.Name, j)
			file := c.Path(src.Path)
			if src.URL != "" {
				file = policy.CachePath(cacheDir, src.URL)
			}
			err := ReadFile(file, &l)
			switch {
			case err == nil:
			case errors.Is(err, ErrBadLine):
				bad = append(bad, err)
			case src.URL != "" && errors.Is(err, fs.ErrNotExist):
				warnings = append(warnings, fmt.Sprintf("%s: %s has not been downloaded yet (run `schoolgate lists update`): keyword list %s loads without it", field, src.URL, e.Name))
			default:
				return nil, &config.Error{File: policyName(c), Line: src.Line, Field: field, Msg: err.Error()}
			}
		}
		if len(l.Phrases) == 0 {
			warnings = append(warnings, fmt.Sprintf("keywords.%s has no phrases: it matches nothing", e.Name))
		}
		lists = append(lists, l)
	}
	s, err := Compile(lists)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", policyName(c), err)
	}
	s.warnings = warnings
	return s, errors.Join(bad...)
}

func policyName(c *config.Config) string {
	if c.File == "" {
		return "policy"
	}
	return c.File
}
