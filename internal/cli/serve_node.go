package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// nodeFlags are serve's --site and --node: a node of one school, its
// policy from the database.
type nodeFlags struct{ site, file *string }

func registerNodeFlags(fs *flag.FlagSet) nodeFlags {
	return nodeFlags{
		site: fs.String("site", "", "run a node of this school (with --node): the policy is the trust's and the school's newest versions in the database"),
		file: fs.String("node", "", "the node's own settings (listeners, DNS upstreams, storage.postgres_file), with --site"),
	}
}

// policyPath is the policy serve loads: a node's local copy (startNode),
// else the -c file as ever.
func (f nodeFlags) policyPath(ctx context.Context, a *App, d *serveDeps, cf *commonFlags) (string, error) {
	if *f.site == "" && *f.file == "" {
		return cf.configPath(a)
	}
	return startNode(ctx, a, d, f, cf)
}

// nodePollEvery is how often a node asks the database for a new version.
const nodePollEvery = time.Second

// nodeState records which versions the local copy holds.
type nodeState struct {
	Trust   int64     `json:"trust"`
	School  int64     `json:"school,omitempty"`
	Head    int64     `json:"head"`
	Written time.Time `json:"written"`
}

// nodePolicy keeps a node's local copy of its policy (DATA/node) up to
// date with the database and reloads the engine when it changes.
type nodePolicy struct {
	site, dsn, dir string
	node           *config.Node
	d              *serveDeps
	version        *prometheus.GaugeVec

	mu      sync.Mutex
	st      *store.Store // nil while the database is unreachable
	state   nodeState
	offline bool // started from the local copy
	wake    chan struct{}
}

// startNode writes the policy the node runs, from the database, or finds
// the local copy when the database is unreachable, and returns its path.
func startNode(ctx context.Context, a *App, d *serveDeps, f nodeFlags, cf *commonFlags) (string, error) {
	if *f.site == "" || *f.file == "" {
		return "", fmt.Errorf("%w: a node needs both --site NAME and --node FILE", ErrUsage)
	}
	if cf.config != "" {
		return "", fmt.Errorf("%w: -c and --node: a node's policy comes from the database, not a file", ErrUsage)
	}
	if err := config.CheckSiteID(*f.site); err != nil {
		return "", fmt.Errorf("%w: --site: %v", ErrUsage, err)
	}
	node, err := config.LoadNode(*f.file)
	if err != nil {
		return "", err
	}
	dsn := strings.TrimSpace(a.Getenv("SCHOOLGATE_POSTGRES"))
	if dsn == "" && node.Storage.PostgresFile != "" {
		b, err := os.ReadFile(node.Storage.PostgresFile)
		if err != nil {
			return "", fmt.Errorf("storage.postgres_file: %w", err)
		}
		dsn = strings.TrimSpace(string(b))
	}
	if dsn == "" {
		return "", fmt.Errorf("%w: a node reaches its policy in PostgreSQL: set SCHOOLGATE_POSTGRES or storage.postgres_file in %s", ErrUsage, *f.file)
	}
	p := &nodePolicy{site: *f.site, dsn: dsn, dir: filepath.Join(d.dataDir, "node"), node: node, d: d, wake: make(chan struct{}, 1)}
	p.version = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "schoolgate_policy_version",
		Help: "The policy version this node runs, by kind (trust, school; 0: none). Behind the database's newest: the node has not caught up."}, []string{"kind"})
	if err := d.registry.Register(p.version); err != nil {
		return "", err
	}
	d.node = p
	d.closers = append(d.closers, p.close)
	path := filepath.Join(p.dir, localPolicy)
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := p.open(octx)
	if err == nil {
		p.st = st
		// Naming a new school creates it.
		err = st.EnsureSite(octx, p.site, "")
		if err == nil {
			err = p.refresh(octx, true)
		}
		if err == nil {
			return path, nil
		}
		if errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("site %s: no trust policy in the database yet: push one first (schoolgate policy push -c TRUST.yaml): %w", p.site, err)
		}
	}
	// The centre is out of reach: run on the last copy, loudly.
	b, rerr := os.ReadFile(filepath.Join(p.dir, "state.json"))
	if _, serr := os.Stat(path); rerr != nil || serr != nil {
		return "", fmt.Errorf("node %s: the database is unreachable and there is no local copy of the policy in %s yet: %w", p.site, p.dir, err)
	}
	_ = json.Unmarshal(b, &p.state)
	p.setGauge()
	if p.st != nil {
		// Connected, but the newest version could not be written here.
		d.log.Error("POLICY NOT UPDATED: the newest version in the database cannot be written on this node: it runs on its local copy",
			"site", p.site, "trust_version", p.state.Trust, "school_version", p.state.School, "copy_written", p.state.Written.Format(time.RFC3339), "err", err)
		return path, nil
	}
	p.offline = true
	d.log.Error("DATABASE UNREACHABLE: this node runs on its local copy of the policy; new versions, users and grants do not reach it until the database is back",
		"site", p.site, "trust_version", p.state.Trust, "school_version", p.state.School, "copy_written", p.state.Written.Format(time.RFC3339), "err", err)
	return path, nil
}

func (p *nodePolicy) open(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, store.Options{PostgresDSN: p.dsn, Logger: p.d.log, OSUser: osAccount()})
}

func (p *nodePolicy) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st == nil {
		return nil
	}
	err := p.st.Close()
	p.st = nil
	return err
}

// storeOptions points serve's store at the node's database. A node started
// without it runs on its local copies (serve_offline.go) and spools its
// activity until the database answers.
func (p *nodePolicy) storeOptions(opt *store.Options) {
	opt.PostgresDSN, opt.SQLitePath = p.dsn, ""
}

// refresh writes the local copy when the database has a version newer
// than it (always when force).
func (p *nodePolicy) refresh(ctx context.Context, force bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	head, err := p.st.PolicyHead(ctx, p.site)
	if err != nil {
		return err
	}
	if !force && head == p.state.Head {
		return nil
	}
	trust, err := p.st.LatestPolicy(ctx, store.PolicyTrust, "")
	if err != nil {
		return err
	}
	var school *store.PolicyVersion
	if v, err := p.st.LatestPolicy(ctx, store.PolicySchool, p.site); err == nil {
		school = &v
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := writeLocalPolicy(ctx, p.st, p.dir, p.node, trust, school); err != nil {
		return err
	}
	p.state = nodeState{Trust: trust.ID, Head: head, Written: time.Now().UTC()}
	if school != nil {
		p.state.School = school.ID
	}
	b, _ := json.Marshal(p.state)
	if err := writeAtomic(filepath.Join(p.dir, "state.json"), b); err != nil {
		return err
	}
	p.setGauge()
	return nil
}

func (p *nodePolicy) setGauge() {
	p.version.WithLabelValues(store.PolicyTrust).Set(float64(p.state.Trust))
	p.version.WithLabelValues(store.PolicySchool).Set(float64(p.state.School))
}

// Changed asks for a look at the database now: the change signal
// (LISTEN/NOTIFY) calls it when a policy version is pushed; the poll
// every second catches what a signal misses.
func (p *nodePolicy) Changed() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// nodeServices is the node's version watcher (none without --node).
func (d *serveDeps) nodeServices() ([]service, error) {
	if d.node == nil {
		return nil, nil
	}
	return []service{d.node}, nil
}

func (p *nodePolicy) Name() string { return "policy versions" }

// Run polls the database for a new version until ctx ends; on one it
// rewrites the local copy and reloads the engine from it (forced: a
// pushed version was validated, and upstreams are node settings).
func (p *nodePolicy) Run(ctx context.Context) error {
	t := time.NewTicker(nodePollEvery)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-p.wake:
		}
		before := p.current()
		err := p.poll(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			if err.Error() != lastErr {
				p.d.log.Error("policy versions: the database cannot be read: running on the local copy", "site", p.site, "err", err)
			}
			lastErr = err.Error()
			continue
		case lastErr != "":
			p.d.log.Info("policy versions: the database is back", "site", p.site)
			lastErr = ""
		}
		if now := p.current(); now != before {
			if _, err := p.d.reload.reload(true); err != nil {
				p.d.log.Error("policy version written but not loaded: the previous policy stays in force", "site", p.site, "trust_version", now.Trust, "school_version", now.School, "err", err)
				continue
			}
			p.d.log.Info("policy version loaded", "site", p.site, "trust_version", now.Trust, "school_version", now.School)
		}
	}
}

func (p *nodePolicy) current() nodeState {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state
	s.Written = time.Time{}
	return s
}

// poll reconnects when the node started without the database, then
// refreshes the local copy.
func (p *nodePolicy) poll(ctx context.Context) error {
	p.mu.Lock()
	connected := p.st != nil
	p.mu.Unlock()
	if !connected {
		octx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := p.open(octx)
		cancel()
		if err != nil {
			return err
		}
		p.mu.Lock()
		p.st = st
		p.mu.Unlock()
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return p.refresh(qctx, false)
}
