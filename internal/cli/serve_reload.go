package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// Reload timing: the watcher looks at the files every pollEvery, and
// reloads once a change has stayed the same (size and time) for settle,
// so that a file an editor is still writing is not read half done.
const (
	pollEvery = 500 * time.Millisecond
	settle    = time.Second
)

// reloads applies policy reloads for serve. The file watcher's are checked
// by policy.Shrinks (an unattended reload never removes a category, halves
// the entries or loses dns.upstreams); SIGHUP's and the admin listener's
// POST /reload?force=1 apply any policy that validates. An empty file
// never validates.
type reloads struct {
	d       *serveDeps
	refused *prometheus.CounterVec
	// poll and settle are pollEvery and settle (tests shorten them).
	poll, settle time.Duration

	mu    sync.Mutex // serialises reloads and guards stamp
	stamp string     // the files as of the last reload attempt
}

func newReloads(d *serveDeps) (*reloads, error) {
	r := &reloads{d: d, poll: pollEvery, settle: settle, refused: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "schoolgate_reload_refused_total",
		Help: "Policy reloads refused, the previous policy staying in force, by reason: invalid (the file does not validate, or is empty) or shrinks (the watcher saw a category removed, half the entries gone or dns.upstreams lost).",
	}, []string{"reason"})}
	for _, reason := range []string{"invalid", "shrinks"} {
		r.refused.WithLabelValues(reason)
	}
	if err := d.registry.Register(r.refused); err != nil {
		return nil, err
	}
	r.stamp = d.fileStamp()
	return r, nil
}

// reload reloads the policy now, checked unless force, and records the
// files it read so that the watcher does not reload them again.
func (r *reloads) reload(force bool) (*policy.Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var check func(old, next *policy.Snapshot) error
	if !force {
		check = policy.Shrinks
	}
	// The stamp is taken before reading: a list replaced while the policy
	// compiles (a background download) is a change the watcher sees next
	// time. A new policy reading other lists differs too, and is reloaded
	// once more, checked, to the same result.
	stamp := r.d.fileStamp()
	s, err := r.d.engine.ReloadIf(check)
	switch {
	case errors.Is(err, policy.ErrReloadRefused):
		r.refused.WithLabelValues("shrinks").Inc()
	case err != nil:
		r.refused.WithLabelValues("invalid").Inc()
	}
	r.stamp = stamp
	return s, err
}

// changed reports whether the files differ from those last reloaded.
func (r *reloads) changed(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return s != r.stamp
}

// watch reloads the policy on SIGHUP (forced) and when the policy file or
// a list file has changed and settled (checked). It runs until ctx ends.
func (r *reloads) watch(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	t := time.NewTicker(r.poll)
	defer t.Stop()
	var pending string // a change seen, not yet settled
	var seen time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.d.log.Info("SIGHUP: reloading policy")
			_, _ = r.reload(true)
			pending = ""
		case now := <-t.C:
			s := r.d.fileStamp()
			switch {
			case !r.changed(s):
				pending = ""
			case s != pending:
				pending, seen = s, now
			case now.Sub(seen) >= r.settle:
				r.d.log.Info("policy or list file changed: reloading")
				_, _ = r.reload(false)
				pending = ""
			}
		}
	}
}

// serveHTTP is POST /reload on the admin listener (`schoolgate reload`):
// checked like the watcher's, or with ?force=1 applied like SIGHUP's.
// Only a loopback client may ask, and not a web page's cross-origin form.
func (r *reloads) serveHTTP(w http.ResponseWriter, req *http.Request) {
	host, _, _ := net.SplitHostPort(req.RemoteAddr)
	if ip, err := netip.ParseAddr(host); err != nil || !ip.Unmap().IsLoopback() {
		http.Error(w, "reload is accepted from loopback only", http.StatusForbidden)
		return
	}
	force := req.URL.Query().Get("force")
	s, err := r.reload(force == "1" || force == "true")
	switch {
	case errors.Is(err, policy.ErrReloadRefused):
		http.Error(w, err.Error(), http.StatusConflict)
	case errors.Is(err, config.ErrInvalid):
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		fmt.Fprintf(w, "reloaded %s: %d categories, %d groups, %d distinct entries\n",
			s.Config().File, len(s.Categories()), len(s.Groups()), s.Entries())
	}
}

// handler is serveHTTP guarded against cross-origin browser requests.
func (r *reloads) handler() http.Handler {
	return http.NewCrossOriginProtection().Handler(http.HandlerFunc(r.serveHTTP))
}
