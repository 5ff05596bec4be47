package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An empty policy would allow everything: no bytes, whitespace, comments
// only, a bare document marker, null or {} must each be refused, naming
// the file.
func TestLoadRefusesEmpty(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"zero":     "",
		"blank":    "  \n\n\t\n",
		"comments": "# site:\n#   name: x\n",
		"marker":   "---\n",
		"null":     "~\n",
		"mapping":  "{}\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if !errors.Is(err, ErrEmpty) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load(%q) = %v, want ErrEmpty and ErrInvalid", body, err)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	p := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(p, []byte("site: {name: X}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err != nil {
		t.Fatalf("a one-line policy: %v", err)
	}
}
