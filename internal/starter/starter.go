// Package starter holds the commented starter policy that `schoolgate init`
// writes and that `schoolgate serve` runs when no policy is given.
package starter

import (
	"embed"
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

// Keywords holds the starter keyword lists (one per safeguarding theme),
// written to keywords/ beside the policy.
//
//go:embed keywords/*.txt
var Keywords embed.FS

// Local lists the starter policy refers to, with their first content.
var localLists = map[string]string{
	"lists/illegal.txt": "# Put your IWF / police list entries here, one domain per line.\n# Entries are confidential: they are never shown on block pages or in logs.\n",
	"lists/education.txt": "# Education sites allowed to everyone, including the KS1 walled garden.\n" +
		"bbc.co.uk\nnationalgeographic.com\nwikipedia.org\noxfordowl.co.uk\ntopmarks.co.uk\nphonicsplay.co.uk\n",
	"lists/video.txt": "# Video broadcasting sites.\nyoutube.com\nyoutu.be\nvimeo.com\ntwitch.tv\ndailymotion.com\n",
}

// ErrExists is returned when Write would overwrite a policy.
var ErrExists = errors.New("a policy already exists there")

// Write puts the starter policy, its local lists and its keyword lists
// in dir. It never
// overwrites a file that exists.
func Write(dir string) (string, error) {
	path := filepath.Join(dir, "schoolgate.yaml")
	if _, err := os.Stat(path); err == nil {
		return path, fmt.Errorf("%s: %w", path, ErrExists)
	}
	files, err := starterFiles()
	if err != nil {
		return "", fmt.Errorf("starter policy: %w", err)
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			return "", fmt.Errorf("starter policy: %w", err)
		}
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

// starterFiles is every file beside the policy: the local lists and the
// keyword lists, by path under the policy's folder.
func starterFiles() (map[string]string, error) {
	files := make(map[string]string, len(localLists))
	for name, content := range localLists {
		files[name] = content
	}
	entries, err := Keywords.ReadDir("keywords")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := Keywords.ReadFile("keywords/" + e.Name())
		if err != nil {
			return nil, err
		}
		files["keywords/"+e.Name()] = string(b)
	}
	return files, nil
}
