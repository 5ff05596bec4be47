package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeNodeRefusals: a node needs --site and --node together, no -c,
// a node file with node settings only (anything else named by line), and
// a database.
func TestServeNodeRefusals(t *testing.T) {
	dir := t.TempDir()
	node := filepath.Join(dir, "node.yaml")
	os.WriteFile(node, []byte("dns:\n  listen: [127.0.0.1:0]\nrules:\n  video: {others: block}\n"), 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("dns:\n  listen: [127.0.0.1:0]\n"), 0o644)
	t.Setenv("SCHOOLGATE_POSTGRES", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--site", "school-a"}, "both --site NAME and --node FILE"},
		{[]string{"--node", good}, "both --site NAME and --node FILE"},
		{[]string{"--site", "School A", "--node", good}, "--site"},
		{[]string{"--site", "school-a", "--node", good, "-c", good}, "-c and --node"},
		{[]string{"--site", "school-a", "--node", node}, "node.yaml:3: rules: not a node setting"},
		{[]string{"--site", "school-a", "--node", good}, "set SCHOOLGATE_POSTGRES or storage.postgres_file"},
	} {
		args := append([]string{"serve", "--data", filepath.Join(dir, "data")}, c.args...)
		code, _, errs := run(t, "", args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("serve %v: %d %q, want exit 2 and %q", c.args, code, errs, c.want)
		}
	}
}
