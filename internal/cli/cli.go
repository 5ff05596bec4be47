// Package cli implements the schoolgate command line: one function per
// command, each scriptable, each exiting 0 on success, 2 on bad usage or a
// bad policy file, 1 on other failures.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"

	"schoolgate/internal/config"
)

// App is what every command gets: its streams and environment. Nothing is
// global.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Log            *slog.Logger
}

type command struct {
	summary string
	run     func(ctx context.Context, a *App, args []string) error
}

// commands is the table of every command. Keep it sorted by name.
func commands() map[string]command {
	return map[string]command{
		"serve":     {"run the DNS filter, the web proxy and the block page", runServe},
		"check":     {"decide targets (URLs or hosts) as the filter would, one JSON object per target", runCheck},
		"init":      {"write a commented starter policy that encodes the seed policies' tables", runInit},
		"lists":     {"lists update: download every url: list source", runLists},
		"validate":  {"check a policy file and its lists without serving", runValidate},
		"reload":    {"ask the running serve to reload its policy (--force: even one much smaller)", runReload},
		"users":     {"users import|add|passwd|disable|enable|show|list: the user directory", runUsers},
		"grant":     {"grant a time-limited override to a user or group (grant list, grant revoke ID)", runGrant},
		"nodes":     {"nodes [--site S]: each serve node's last heartbeat, stale ones flagged", runNodes},
		"audit":     {"audit verify|head|list: the hash-chained audit trail", runAudit},
		"activity":  {"activity search|purge: the activity log", runActivity},
		"requests":  {"requests list|approve|deny: filter-change requests from the block page", runRequests},
		"aua":       {"aua status: who has not accepted the acceptable use agreement", runAUA},
		"ca":        {"ca init|export: the school CA for TLS inspection", runCA},
		"tokens":    {"tokens create|list|revoke: bearer tokens of the console's JSON API", runTokens},
		"incidents": {"incidents list|show ID: the incident log, read as a member of staff (--as)", runIncidents},
		"export":    {"export subject USER: a subject-access export (dsl only), reviewed before release", runExport},
		"alerts":    {"alerts list|ack|close|test: monitoring alerts, and a dry run of the rules", runAlerts},
		"policy":    {"policy push|history|diff|rollback: policy versions in the database, run by the nodes", runPolicy},
		"selftest":  {"probe the running node's DNS and proxy for every group and record the check", runSelftest},
	}
}

// ErrUsage marks a command line that could not be understood (exit 2).
var ErrUsage = errors.New("usage")

// Main runs one command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	a.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "schoolgate: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := c.run(ctx, a, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage), errors.Is(err, config.ErrInvalid):
		fmt.Fprintf(stderr, "schoolgate %s: %s\n", args[0], safeLines(err.Error()))
		return 2
	default:
		fmt.Fprintf(stderr, "schoolgate %s: %s\n", args[0], safeLines(err.Error()))
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: schoolgate COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun schoolgate COMMAND -h for its flags.")
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(a *App, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("schoolgate "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	return fs
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// commonFlags are the flags most commands share.
type commonFlags struct {
	config string
	data   string
	// dataNamed is true when --data or SCHOOLGATE_DATA named the data
	// directory (not the ./schoolgate-data default).
	dataNamed bool
}

// defaultData is the data directory when none is named.
const defaultData = "./schoolgate-data"

func (c *commonFlags) register(a *App, fs *flag.FlagSet) {
	fs.StringVar(&c.config, "c", "", "policy file (default: ./schoolgate.yaml, else the embedded starter policy)")
	fs.StringVar(&c.config, "config", "", "same as -c")
	c.data = a.Getenv("SCHOOLGATE_DATA")
	c.dataNamed = c.data != ""
	if c.data == "" {
		c.data = defaultData
	}
	fs.Func("data", "data directory (SCHOOLGATE_DATA; default "+defaultData+")", func(v string) error {
		c.data, c.dataNamed = v, true
		return nil
	})
}

// configPath is the policy file to use: the flag, ./schoolgate.yaml, or the
// embedded starter policy written into the data directory (only when
// there is one: a command other than serve never creates it).
func (c *commonFlags) configPath(a *App) (string, error) {
	if c.config != "" {
		return c.config, nil
	}
	if _, err := os.Stat("schoolgate.yaml"); err == nil {
		return "schoolgate.yaml", nil
	}
	if !c.hasData() {
		return "", fmt.Errorf("%w: no policy: give -c policy.yaml (or run `schoolgate init DIR` to write one)", ErrNoData)
	}
	return writeEmbeddedDefault(a, c.data)
}

// ErrNoData: a command that reads the data directory was run where there
// is none, and none was named (exit 2).
var ErrNoData = fmt.Errorf("%w: no data directory", ErrUsage)

// hasData reports whether the data directory was named or exists.
func (c *commonFlags) hasData() bool {
	if c.dataNamed {
		return true
	}
	fi, err := os.Stat(c.data)
	return err == nil && fi.IsDir()
}

// needData fails with ErrNoData, saying what to pass, when no data
// directory was named and ./schoolgate-data does not exist: a command
// must not create an empty database and answer from it.
func (c *commonFlags) needData() error {
	if c.hasData() {
		return nil
	}
	return fmt.Errorf("%w (%s does not exist): give --data DIR or set SCHOOLGATE_DATA to the folder serve uses, "+
		"or SCHOOLGATE_POSTGRES for PostgreSQL; `schoolgate serve` and `schoolgate init` create one", ErrNoData, defaultData)
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// helpFor handles `schoolgate CMD -h` for a command with subcommands: it
// prints usage and returns flag.ErrHelp (exit 0) when args ask for help.
func helpFor(a *App, args []string, usage string) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(a.Stderr, usage)
		return flag.ErrHelp
	}
	return nil
}

// withUsage makes fs print usage, then its flags, for -h.
func withUsage(a *App, fs *flag.FlagSet, usage string) {
	fs.Usage = func() {
		fmt.Fprintln(a.Stderr, usage)
		fmt.Fprintln(a.Stderr, "\nflags:")
		fs.PrintDefaults()
	}
}
