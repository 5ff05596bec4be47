package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"schoolgate/internal/starter"
)

func runInit(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "init")
	withUsage(a, fs, "usage: schoolgate init DIR [--data DIR]\nWrites a commented starter policy (DIR/schoolgate.yaml) and its local lists, and makes the data directory.")
	var cf commonFlags
	cf.register(a, fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: give one DIR", ErrUsage)
	}
	path, err := starter.Write(pos[0])
	if err != nil {
		return err
	}
	// The data directory the other commands then find (serve makes it
	// too).
	if err := os.MkdirAll(cf.data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	fmt.Fprintf(a.Stdout, "data directory %s\n", cf.data)
	fmt.Fprintf(a.Stdout, "wrote %s\nnext: edit it, then run `schoolgate lists update -c %s` and `schoolgate validate -c %s`\n", path, path, path)
	return nil
}

// writeEmbeddedDefault makes sure the data directory holds the starter
// policy and returns its path, so that serve runs with no set-up at all.
func writeEmbeddedDefault(a *App, dataDir string) (string, error) {
	dir := filepath.Join(dataDir, "policy")
	path := filepath.Join(dir, "schoolgate.yaml")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	p, err := starter.Write(dir)
	if err != nil && !errors.Is(err, starter.ErrExists) {
		return "", err
	}
	a.Log.Info("no policy given: using the starter policy", "path", p)
	return p, nil
}
