package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"schoolgate/internal/ca"
	"schoolgate/internal/config"
)

const caUsage = `usage: schoolgate ca init [--data DIR] [--name SCHOOL]
       schoolgate ca export [--data DIR]`

// runCA manages the school CA used for TLS inspection: `ca init` creates
// it in DATA/ca (the key readable by its owner only), `ca export` prints
// the certificate for the school's devices to trust.
func runCA(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, caUsage); err != nil {
		return err
	}
	if len(args) == 0 || (args[0] != "init" && args[0] != "export") {
		return fmt.Errorf("%w: ca needs init or export\n%s", ErrUsage, caUsage)
	}
	sub := args[0]
	fs := newFlags(a, "ca "+sub)
	withUsage(a, fs, caUsage)
	var cf commonFlags
	cf.register(a, fs)
	name := fs.String("name", "", "init: the school's name in the certificate (default: site.name from the policy)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], caUsage)
	}
	dir := ca.Dir(cf.data)
	if sub == "export" {
		b, err := ca.ExportPEM(dir)
		if err != nil {
			return err
		}
		_, err = a.Stdout.Write(b)
		return err
	}
	if *name == "" {
		if path, err := cf.configPath(a); err == nil {
			if cfg, err := config.Load(path); err == nil {
				*name = cfg.Site.Name
			}
		}
	}
	if err := os.MkdirAll(cf.data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := ca.Create(dir, *name, nil); err != nil {
		if errors.Is(err, ca.ErrExist) {
			return fmt.Errorf("%w (export it with `schoolgate ca export`)", err)
		}
		return err
	}
	fmt.Fprintf(a.Stdout, "school CA created: %s (give this certificate to the school's devices: schoolgate ca export)\n", filepath.Join(dir, ca.CertFile))
	return nil
}
