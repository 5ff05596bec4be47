package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// readmeCommands returns every command line the README's Commands section
// names, as "CMD" or "CMD SUB": `users import FILE.csv [--prune] | add |
// passwd` gives users, users import, users add, users passwd.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n## Commands\n")
	if !ok {
		t.Fatal("README.md has no ## Commands section")
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	word := regexp.MustCompile(`^[a-z]+$`)
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, line := range strings.Split(section, "\n") {
		f := strings.Fields(line)
		if !strings.HasPrefix(line, "    ") || len(f) < 2 || f[0] != "schoolgate" {
			continue
		}
		cmd := f[1]
		add(cmd)
		for _, part := range strings.Split(strings.Join(f[2:], " "), " | ") {
			if p := strings.Fields(part); len(p) > 0 && word.MatchString(p[0]) {
				add(cmd + " " + p[0])
			}
		}
	}
	return out
}

// TestHelpForEveryReadmeCommand: `schoolgate CMD --help` and `CMD SUB -h`
// print usage and exit 0 for every command the README names, and do
// nothing else (no data directory appears).
func TestHelpForEveryReadmeCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SCHOOLGATE_DATA", "")
	cmds := readmeCommands(t)
	for _, want := range []string{"serve", "users import", "grant list", "requests approve", "activity summary", "audit verify", "lists update", "ca export", "reload"} {
		if !strings.Contains("\n"+strings.Join(cmds, "\n")+"\n", "\n"+want+"\n") {
			t.Errorf("README command list lacks %q (parsed: %q)", want, cmds)
		}
	}
	if _, ok := commands()["help"]; ok {
		t.Fatal("help is not a command")
	}
	for _, c := range cmds {
		if _, ok := commands()[strings.Fields(c)[0]]; !ok {
			t.Errorf("README names %q, which is not a command", c)
			continue
		}
		for _, h := range []string{"--help", "-h"} {
			args := append(strings.Fields(c), h)
			code, out, errs := run(t, "", args...)
			if code != 0 || !strings.Contains(strings.ToLower(out+errs), "usage") {
				t.Errorf("schoolgate %s: exit %d, want 0 and usage:\n%s%s", strings.Join(args, " "), code, out, errs)
			}
		}
	}
	if _, err := os.Stat(defaultData); err == nil {
		t.Errorf("--help created %s", defaultData)
	}
	if code, _, _ := run(t, ""); code != 2 {
		t.Errorf("no command: exit %d, want 2", code)
	}
	if code, _, errs := run(t, "", "users", "frobnicate"); code != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("unknown subcommand: exit %d %s", code, errs)
	}
}
