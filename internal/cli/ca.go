package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"schoolgate/internal/ca"
	"schoolgate/internal/config"
)

const caUsage = `usage: schoolgate ca init [--data DIR] [--name SCHOOL] [--by NAME]
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
	by := fs.String("by", "", "init: who creates it (free text, in the audit trail; default: the login name)")
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
			if cfg, err := config.LoadComposed(path); err == nil {
				*name = cfg.Site.Name
			}
		}
	}
	// A CA that can decrypt the school's traffic is recorded in the audit
	// trail: no trail, no CA.
	st, _, err := cliStore(ctx, a, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := ca.Create(dir, *name, nil); err != nil {
		if errors.Is(err, ca.ErrExist) {
			return fmt.Errorf("%w (export it with `schoolgate ca export`)", err)
		}
		return err
	}
	if err := st.Audit(ctx, cliActor(a, *by), "ca.init", filepath.Join(dir, ca.CertFile), nil, map[string]string{"name": *name}); err != nil {
		return fmt.Errorf("school CA created but not recorded in the audit trail: %w", err)
	}
	fmt.Fprintf(a.Stdout, "school CA created: %s (give this certificate to the school's devices: schoolgate ca export)\n", filepath.Join(dir, ca.CertFile))
	return nil
}
