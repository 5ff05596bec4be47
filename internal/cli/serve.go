package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"schoolgate/internal/activity"
	"schoolgate/internal/alerts"
	"schoolgate/internal/alerts/notify"
	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
)

// service is one long-running part of `serve` (the DNS server, the proxy,
// the block-page listener). Run blocks until ctx ends, then shuts down
// gracefully.
type service interface {
	Name() string
	Run(ctx context.Context) error
}

// serveDeps is everything the services share. The parts are built in
// order by runServe; each enforcement point gets the same engine.
type serveDeps struct {
	configPath string
	dataDir    string
	stdout     io.Writer // the console's URL and set-up link (never the log)
	log        *slog.Logger
	now        func() time.Time
	engine     *policy.Engine
	sessions   *identity.Sessions
	// ident is the one answer to "who is this client, in which groups",
	// shared by DNS, the proxy and the block page.
	ident    *identity.Resolver
	activity activity.Sink
	alerts   *alerts.Engine // serve_alerts.go; nil without a database
	registry *prometheus.Registry
	adminMux *http.ServeMux
	// closers run in reverse order after every service has stopped.
	closers []func() error
	ready   chan struct{}
	// fileLimit is the open-file limit in force (serve_limits.go).
	fileLimit uint64

	st     storeParts // serve_store.go
	reload *reloads   // serve_reload.go
	// notifier delivers alerts (serve_notify.go); nil without contacts.
	notifier *notify.Dispatcher
	node     *nodePolicy // serve_node.go; nil unless --site --node
	// nodeName is --node-name, the node's name in its heartbeats.
	nodeName string
}

func runServe(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "serve")
	withUsage(a, fs, "usage: schoolgate serve [-c policy.yaml | --site NAME --node FILE] [--data DIR]\nRuns the DNS filter, the web proxy and the block page.")
	var cf commonFlags
	cf.register(a, fs)
	fakeNow := fs.String("now", "", "testing: start the clock at this RFC 3339 time (it then runs normally)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	nf := registerNodeFlags(fs)
	nodeName := fs.String("node-name", "", "this node's name in the nodes list (default: the host name and the first listen address)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level: %v", ErrUsage, err)
	}
	log := slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level}))
	d := &serveDeps{dataDir: cf.data, stdout: a.Stdout, log: log, now: time.Now, ready: make(chan struct{}), nodeName: *nodeName}
	d.raiseFileLimit()
	if *fakeNow != "" {
		t0, err := time.Parse(time.RFC3339, *fakeNow)
		if err != nil {
			return fmt.Errorf("%w: --now: %v", ErrUsage, err)
		}
		started := time.Now()
		d.now = func() time.Time { return t0.Add(time.Since(started)) }
	}
	if err := os.MkdirAll(cf.data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	d.registry = prometheus.NewRegistry()
	path, err := nf.policyPath(ctx, a, d, &cf)
	if err != nil {
		return err
	}
	d.configPath = path
	start := time.Now()
	d.engine, err = policy.NewEngine(path, policy.Options{DataDir: cf.data, Logger: log, Now: d.now})
	if err != nil {
		return err
	}
	snap := d.engine.Snapshot()
	log.Info("policy loaded", "file", path, "entries", snap.Entries(), "took", snap.CompileTime().Round(time.Millisecond))
	d.sessions = identity.NewSessions(d.now)
	d.activity = activity.Discard{}
	d.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.adminMux = http.NewServeMux()
	// The watcher starts from the files as loaded: a list downloaded in
	// the background from now on is a change it must see, however early
	// it lands.
	if d.reload, err = newReloads(d); err != nil {
		return err
	}
	defer func() {
		for i := len(d.closers) - 1; i >= 0; i-- {
			if err := d.closers[i](); err != nil {
				log.Error("shutdown", "err", err)
			}
		}
	}()

	// The order matters: storage first (users, overrides, the activity
	// log), then the enforcement points that use it.
	if err := d.openStorage(ctx); err != nil {
		return err
	}
	d.ident = identity.NewResolver(d.sessions, d.directory(), d.now)
	var services []service
	builders := []func() ([]service, error){d.notifyServices, d.alertServices, d.dnsServices, d.proxyServices, d.listServices, d.consoleServices, d.selftestServices, d.changeServices, d.nodeServices}
	for _, b := range builders {
		s, err := b()
		if err != nil {
			return err
		}
		services = append(services, s...)
	}
	admin, err := d.adminService(snap.Config().Admin)
	if err != nil {
		return err
	}
	services = append(services, admin)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(services)+1)
	for _, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", s.Name(), err)
				cancel()
			}
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); d.reload.watch(ctx) }()
	go func() { defer wg.Done(); d.releaseMemory(ctx) }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.sessions.Sweep()
			}
		}
	}()
	close(d.ready)
	log.Info("schoolgate ready", "took", time.Since(start).Round(time.Millisecond))
	wg.Wait()
	close(errc)
	return <-errc
}

// adminService serves /metrics and /healthz on the admin listener
// (loopback by default: never on pupils' networks unless configured), and
// Go's profiles when admin.pprof is on.
func (d *serveDeps) adminService(cfg config.Admin) (service, error) {
	addr := cfg.Listen
	d.adminMux.Handle("GET /metrics", promhttp.HandlerFor(d.registry, promhttp.HandlerOpts{Registry: d.registry}))
	if cfg.Pprof {
		// Profiles for the operator who asked for them: a profile shows
		// the program's internals and costs CPU while it runs.
		d.adminMux.HandleFunc("GET /debug/pprof/", pprof.Index)
		d.adminMux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		d.adminMux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	d.adminMux.Handle("POST /reload", d.reload.handler())
	d.adminMux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-d.ready:
			if why := d.degraded(); why != "" {
				fmt.Fprintln(w, "degraded:", why) // still filtering: 200
				return
			}
			fmt.Fprintln(w, "ok")
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	})
	ln, err := d.listen("admin", addr, nil)
	if err != nil {
		return nil, fmt.Errorf("admin listener %s: %w", addr, err)
	}
	d.log.Info("admin listening", "addr", ln.Addr().String())
	return &listenerService{name: "admin", ln: ln, srv: &http.Server{Handler: d.adminMux, ReadHeaderTimeout: 5 * time.Second}}, nil
}

// server is what a listenerService runs: an *http.Server or the proxy.
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// listenerService runs a server on a listener until ctx ends, then stops
// taking connections and shuts it down gracefully (in-flight requests get
// 5 seconds).
type listenerService struct {
	name string
	ln   net.Listener
	srv  server
}

func (h *listenerService) Name() string { return h.name }

func (h *listenerService) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- h.srv.Serve(h.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		// The proxy's Shutdown leaves the listener to its owner; an
		// http.Server's finds it closed already.
		h.ln.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := h.srv.Shutdown(sctx)
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		if serr := <-errc; serr != nil && !errors.Is(serr, net.ErrClosed) && !errors.Is(serr, http.ErrServerClosed) {
			return serr
		}
		return err
	}
}

// fileStamp summarises the modification times and sizes of the policy
// file and every list it reads.
func (d *serveDeps) fileStamp() string {
	files := []string{d.configPath}
	if c := d.engine.Snapshot().Config().Composed; c.SchoolChanged() {
		files = append(files, c.TrustFile) // a school's file: its trust's too
	}
	for _, s := range d.engine.Snapshot().Sources() {
		files = append(files, s.File)
	}
	var b []byte
	for _, f := range files {
		b = appendStamp(b, f)
	}
	return string(b)
}

// appendStamp appends a file's name, modification time and size; for a
// UT1 category folder, its domains and urls files' too (rewriting a file
// in place leaves the folder's own time alone).
func appendStamp(b []byte, f string) []byte {
	fi, err := os.Stat(f)
	if err != nil {
		return b
	}
	b = fmt.Appendf(b, "%s:%d:%d;", f, fi.ModTime().UnixNano(), fi.Size())
	if fi.IsDir() {
		for _, part := range []string{"domains", "urls"} {
			if sub, err := os.Stat(filepath.Join(f, part)); err == nil && !sub.IsDir() {
				b = fmt.Appendf(b, "%s:%d:%d;", part, sub.ModTime().UnixNano(), sub.Size())
			}
		}
	}
	return b
}

// releaseDelay is how long after a reload the old snapshot may still be
// in use: requests in flight finish on the snapshot they started with, and
// none outlives the upstream timeouts (seconds).
const releaseDelay = 5 * time.Second

// releaseMemory hands memory the process no longer needs back to the
// system: once when serve is ready (a large list is read and compiled at
// start, leaving garbage the runtime would otherwise keep), and after each
// reload, once the previous snapshot is unreachable. It runs until ctx
// ends.
func (d *serveDeps) releaseMemory(ctx context.Context) {
	reloaded := make(chan struct{}, 1)
	d.engine.OnReload(func(*policy.Snapshot) {
		select {
		case reloaded <- struct{}{}:
		default:
		}
	})
	debug.FreeOSMemory()
	for {
		select {
		case <-ctx.Done():
			return
		case <-reloaded:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(releaseDelay):
			debug.FreeOSMemory()
		}
	}
}
