// Package starter holds the commented starter policy that `schoolgate init`
// writes and that `schoolgate serve` runs when no policy is given.
package starter

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Policy is the starter policy file.
//
//go:embed policy.yaml
var Policy []byte

// Local lists the starter policy refers to, with their first content.
var localLists = map[string]string{
	"lists/illegal.txt": "# Put your IWF / police list entries here, one domain per line.\n# Entries are confidential: they are never shown on block pages or in logs.\n",
	"lists/education.txt": "# Education sites allowed to everyone, including the KS1 walled garden.\n" +
		"bbc.co.uk\nnationalgeographic.com\nwikipedia.org\noxfordowl.co.uk\ntopmarks.co.uk\nphonicsplay.co.uk\n",
	"lists/video.txt": "# Video broadcasting sites.\nyoutube.com\nyoutu.be\nvimeo.com\ntwitch.tv\ndailymotion.com\n",
}

// ErrExists is returned when Write would overwrite a policy.
var ErrExists = errors.New("a policy already exists there")

// Write puts the starter policy and its local lists in dir. It never
// overwrites a file that exists.
func Write(dir string) (string, error) {
	path := filepath.Join(dir, "schoolgate.yaml")
	if _, err := os.Stat(path); err == nil {
		return path, fmt.Errorf("%s: %w", path, ErrExists)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lists"), 0o755); err != nil {
		return "", fmt.Errorf("starter policy: %w", err)
	}
	for name, content := range localLists {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("starter policy: %w", err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("starter policy: %w", err)
		}
	}
	if err := os.WriteFile(path, Policy, 0o644); err != nil {
		return "", fmt.Errorf("starter policy: %w", err)
	}
	return path, nil
}
