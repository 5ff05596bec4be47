package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
	"schoolgate/internal/textdiff"
)

const policyUsage = `usage: schoolgate policy push -c FILE [--site NAME] [--note TEXT] [--by NAME]
       schoolgate policy history [--site NAME] [--limit N] [--json]
       schoolgate policy diff A B
       schoolgate policy rollback VERSION [--note TEXT] [--by NAME]
Policy versions in the database, which the nodes (serve --site --node) run: push validates a trust's file
(or with --site a school's, against the trust's current version) and stores it with its lists; rollback
stores a new version equal to an old one. The database is SCHOOLGATE_POSTGRES (or --data's SQLite).`

func runPolicy(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, policyUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: a subcommand\n%s", ErrUsage, policyUsage)
	}
	switch args[0] {
	case "push":
		return policyPush(ctx, a, args[1:])
	case "history":
		return policyHistory(ctx, a, args[1:])
	case "diff":
		return policyDiff(ctx, a, args[1:])
	case "rollback":
		return policyRollback(ctx, a, args[1:])
	}
	return fmt.Errorf("%w: unknown subcommand %q\n%s", ErrUsage, args[0], policyUsage)
}

// policyDB opens the database the policy commands use: PostgreSQL from
// SCHOOLGATE_POSTGRES (or the file's storage.postgres_file), else the
// data directory's SQLite (one school trying versions out).
func policyDB(ctx context.Context, a *App, cf *commonFlags, cfg *config.Config) (*store.Store, error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	if !usesPostgres(a.Getenv, cfg) {
		if err := cf.needData(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(cf.data, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	return openStore(ctx, a.Getenv, cfg, cf.data, a.Log, nil)
}

func policyPush(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "policy push")
	withUsage(a, fs, policyUsage)
	var cf commonFlags
	cf.register(a, fs)
	site := fs.String("site", "", "the school whose policy FILE is (default: FILE is the trust's)")
	note := fs.String("note", "", "what changed and why (shown in the history)")
	by := fs.String("by", "", "who pushes (default: the login name)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if cf.config == "" {
		return fmt.Errorf("%w: give the policy file: -c FILE", ErrUsage)
	}
	kind := store.PolicyTrust
	if *site != "" {
		if err := config.CheckSiteID(*site); err != nil {
			return fmt.Errorf("%w: --site: %v", ErrUsage, err)
		}
		kind = store.PolicySchool
	}
	content, err := os.ReadFile(cf.config)
	if err != nil {
		return fmt.Errorf("policy file: %w", err)
	}
	// The database comes from the environment: a school's file cannot be
	// loaded on its own before it is composed with the trust's.
	st, err := policyDB(ctx, a, &cf, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg, err := checkPushed(ctx, st, cf.config, cf.data, *site)
	if err != nil {
		return err
	}
	prev, err := st.LatestPolicy(ctx, kind, *site)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	lists, blobs, err := policyLists(cfg, policy.CacheDir(cfg, cf.data), prev.Lists, false)
	if err != nil {
		return err
	}
	if prev.ID != 0 && prev.Content == string(content) && sameLists(prev.Lists, lists) {
		fmt.Fprintf(a.Stdout, "unchanged: version %d is this file with these lists; nothing pushed\n", prev.ID)
		return nil
	}
	if kind == store.PolicySchool {
		// Naming a new school creates it.
		if err := st.EnsureSite(ctx, *site, ""); err != nil {
			return err
		}
	}
	v, err := st.PushPolicy(ctx, cliActor(a, *by), store.PolicyVersion{Kind: kind, Site: *site, Content: string(content), Lists: lists, Note: *note}, blobs)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "pushed version %d (%s): %d lists\n", v.ID, versionScope(v), len(v.Lists))
	return nil
}

// checkPushed validates a file about to be pushed as serve would load it:
// the trust's on its own, a school's composed with the trust's current
// version. It returns the file's own configuration (its lists are the
// ones pushed with it).
func checkPushed(ctx context.Context, st *store.Store, path, dataDir, site string) (*config.Config, error) {
	if site == "" {
		snap, err := policy.LoadFile(path, policy.Options{DataDir: dataDir})
		if err != nil {
			return nil, err
		}
		return snap.Config(), checkSnapshot(snap)
	}
	trust, err := st.LatestPolicy(ctx, store.PolicyTrust, "")
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("a school's policy extends the trust's: push the trust's first (policy push -c TRUST.yaml): %w", err)
	}
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "schoolgate-push-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	tpath, err := writeLocalPolicy(ctx, st, tmp, &config.Node{}, trust, nil)
	if err != nil {
		return nil, err
	}
	tcfg, err := config.Load(tpath)
	if err != nil {
		return nil, fmt.Errorf("the trust's version %d: %w", trust.ID, err)
	}
	scfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if secs := config.NodeSectionsIn(scfg); len(secs) > 0 {
		return nil, fmt.Errorf("%s: %w: %s: a school's pushed file holds no node settings (they are the trust's policy, and each node's own in its --node file)", path, config.ErrInvalid, strings.Join(secs, ", "))
	}
	eff, err := config.Compose(tcfg, scfg, site)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, config.ErrInvalid, err)
	}
	snap, err := policy.Compile(eff, policy.Options{DataDir: dataDir})
	if err != nil {
		return nil, err
	}
	return scfg, checkSnapshot(snap)
}

// checkSnapshot is what validate refuses beside the compile itself.
func checkSnapshot(snap *policy.Snapshot) error {
	if err := safeguarding.CheckSanctions(snap.Config()); err != nil {
		return err
	}
	return errors.Join(snap.LockedExceptions()...)
}

func sameLists(a, b []store.PolicyList) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func versionScope(v store.PolicyVersion) string {
	if v.Kind == store.PolicyTrust {
		return "trust"
	}
	return "school " + v.Site
}

func policyHistory(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "policy history")
	withUsage(a, fs, policyUsage)
	var cf commonFlags
	cf.register(a, fs)
	site := fs.String("site", "", "only the trust's versions and this school's")
	limit := fs.Int("limit", 50, "at most this many, newest first (0 for all)")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, err := policyDB(ctx, a, &cf, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.PolicyHistory(ctx, *site, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONLines(a.Stdout, list)
	}
	tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tPOLICY\tWHEN\tBY\tLISTS\tNOTE")
	for _, v := range list {
		note := v.Note
		if v.CopiedFrom != 0 && !strings.Contains(note, strconv.FormatInt(v.CopiedFrom, 10)) {
			note = fmt.Sprintf("(copy of %d) %s", v.CopiedFrom, note)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", v.ID, versionScope(v), v.CreatedAt.Local().Format(time.RFC3339), safe(v.CreatedBy), len(v.Lists), safe(note))
	}
	return tw.Flush()
}

func policyDiff(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "policy diff")
	withUsage(a, fs, policyUsage)
	var cf commonFlags
	cf.register(a, fs)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return fmt.Errorf("%w: policy diff takes two versions\n%s", ErrUsage, policyUsage)
	}
	ids, err := versionIDs(rest)
	if err != nil {
		return err
	}
	st, err := policyDB(ctx, a, &cf, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	va, err := st.PolicyVersionByID(ctx, ids[0])
	if err != nil {
		return fmt.Errorf("version %d: %w", ids[0], err)
	}
	vb, err := st.PolicyVersionByID(ctx, ids[1])
	if err != nil {
		return fmt.Errorf("version %d: %w", ids[1], err)
	}
	fmt.Fprint(a.Stdout, safeLines(versionDiff(va, vb)))
	return nil
}

// versionDiff is a readable diff of two versions: the files' unified diff,
// then each list added, removed or changed.
func versionDiff(va, vb store.PolicyVersion) string {
	var b strings.Builder
	label := func(v store.PolicyVersion) string {
		return fmt.Sprintf("version %d (%s, %s by %s)", v.ID, versionScope(v), v.CreatedAt.Format(time.RFC3339), v.CreatedBy)
	}
	d := textdiff.Unified(label(va), label(vb), va.Content, vb.Content)
	if d == "" {
		d = "the policy files are the same\n"
	}
	b.WriteString(d)
	for _, l := range listChanges(va.Lists, vb.Lists) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// listChanges says, one line each, which lists differ between two versions.
func listChanges(a, b []store.PolicyList) []string {
	old := map[string]store.PolicyList{}
	for _, l := range a {
		old[l.Source] = l
	}
	var out []string
	for _, l := range b {
		o, ok := old[l.Source]
		delete(old, l.Source)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("list %s: added (%.12s)", l.Source, l.Hash))
		case o.Hash != l.Hash:
			out = append(out, fmt.Sprintf("list %s: changed (%.12s -> %.12s)", l.Source, o.Hash, l.Hash))
		}
	}
	for _, l := range a {
		if _, ok := old[l.Source]; ok {
			out = append(out, fmt.Sprintf("list %s: removed", l.Source))
		}
	}
	return out
}

func versionIDs(args []string) ([]int64, error) {
	var ids []int64
	for _, s := range args {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%w: %q is not a version number", ErrUsage, s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func policyRollback(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "policy rollback")
	withUsage(a, fs, policyUsage)
	var cf commonFlags
	cf.register(a, fs)
	note := fs.String("note", "", "why (shown in the history)")
	by := fs.String("by", "", "who rolls back (default: the login name)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: policy rollback takes one version\n%s", ErrUsage, policyUsage)
	}
	ids, err := versionIDs(rest)
	if err != nil {
		return err
	}
	st, err := policyDB(ctx, a, &cf, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.RollbackPolicy(ctx, cliActor(a, *by), ids[0], *note)
	if err != nil {
		return fmt.Errorf("version %d: %w", ids[0], err)
	}
	fmt.Fprintf(a.Stdout, "version %d (%s) is a copy of version %d\n", v.ID, versionScope(v), ids[0])
	return nil
}
