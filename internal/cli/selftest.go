package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/probe"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/selftest"
	"schoolgate/internal/store"
)

const selftestUsage = `usage: schoolgate selftest [-c policy.yaml] [--data DIR] [--group G] [--dns ADDR] [--proxy ADDR] [--json]
Probes the running node's DNS listener and proxy, for every group (or G), with
the policy's selftest.probes, compares the answers with what the policy says,
records the run as a measured check (a mismatch raises a finding), prints a
table per group, and exits 1 on a mismatch.`

// ErrMismatch: a probe did not get what the policy says.
var ErrMismatch = errors.New("the filter did not answer as the policy says")

// runSelftest runs the self-test against the node serving this policy
// and data (its listeners from the policy, its probe key from the
// database).
func runSelftest(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, selftestUsage); err != nil {
		return err
	}
	fs := newFlags(a, "selftest")
	withUsage(a, fs, selftestUsage)
	var cf commonFlags
	cf.register(a, fs)
	group := fs.String("group", "", "probe this group only")
	dnsAddr := fs.String("dns", "", "the DNS listener to probe (default: selftest.dns, else the first dns.listen)")
	proxyAddr := fs.String("proxy", "", "the proxy to probe (default: selftest.proxy, else proxy.listen)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return fmt.Errorf("%w: selftest takes no arguments\n%s", ErrUsage, selftestUsage)
	}
	st, cfg, err := cliStore(ctx, a, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	snap, err := policy.Compile(cfg, policy.Options{DataDir: cf.data, Logger: a.Log})
	if err != nil {
		return err
	}
	opt, err := selftestOptions(ctx, st, snap, time.Now)
	if err != nil {
		return err
	}
	opt.Group = *group
	if *dnsAddr != "" {
		opt.DNS = *dnsAddr
	}
	if *proxyAddr != "" {
		opt.Proxy = *proxyAddr
	}
	rep, err := selftest.Run(ctx, opt)
	if err != nil {
		return err
	}
	checks := safeguarding.NewChecks(safeguarding.ChecksOptions{Store: st})
	k, findings, err := checks.RecordMeasured(ctx, cfg.Site.ID, rep.Measured())
	if err != nil {
		return fmt.Errorf("recording the self-test: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprint(a.Stdout, rep.Table())
		fmt.Fprintf(a.Stdout, "recorded as check %d (%s)\n", k.ID, k.Result)
	}
	if len(findings) > 0 {
		return fmt.Errorf("%w: %d probe(s) differ, %d finding(s) raised for the technical team and the DSL", ErrMismatch, len(findings), len(findings))
	}
	return nil
}

// selftestOptions are a run's inputs from the node's store and policy:
// the probe key, the live overrides, the listeners.
func selftestOptions(ctx context.Context, st *store.Store, snap *policy.Snapshot, now func() time.Time) (selftest.Options, error) {
	key, err := st.Secret(ctx, probe.SecretName, probe.SecretSize)
	if err != nil {
		return selftest.Options{}, err
	}
	list, err := st.ActiveOverrides(ctx, configSite(snap.Config()), now())
	if err != nil {
		return selftest.Options{}, err
	}
	opt := selftest.Options{Snapshot: snap, Overrides: policy.NewOverrides(list), Key: key, Now: now}
	opt.DNS, opt.Proxy = selftest.Addresses(snap.Config())
	return opt, nil
}
