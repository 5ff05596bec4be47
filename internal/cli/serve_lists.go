package cli

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
)

// listServices keeps the url: lists fresh and makes a category that
// filters nothing loud: an ERROR line per category at start, after each
// reload and when a list goes stale, and two metrics. The downloads run
// in the background: DNS and the proxy answer meanwhile.
func (d *serveDeps) listServices() ([]service, error) {
	rep := &listReporter{log: d.log.With("component", "lists"), now: d.now}
	rep.report(d.engine.Snapshot(), true)
	d.registry.MustRegister(&listCollector{engine: d.engine, now: d.now})
	r := &listsync.Refresher{
		Updater:  &listsync.Updater{Now: d.now},
		Snapshot: d.engine.Snapshot,
		Log:      rep.log,
		Now:      d.now,
	}
	d.engine.OnReload(func(s *policy.Snapshot) {
		rep.report(s, true)
		r.Wake()
	})
	if d.engine.Snapshot().Config().Lists.Refresh == 0 {
		d.log.Info("lists.refresh is off: serve downloads no lists (run schoolgate lists update)")
	}
	return []service{&listService{refresher: r, reporter: rep, engine: d.engine}}, nil
}

// listService runs the refresher, and looks at the lists' health hourly
// to report a copy that has grown stale since the last reload.
type listService struct {
	refresher *listsync.Refresher
	reporter  *listReporter
	engine    *policy.Engine
}

func (s *listService) Name() string { return "lists" }

func (s *listService) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() { defer close(done); s.refresher.Run(ctx) }()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			<-done
			return nil
		case <-t.C:
			s.reporter.report(s.engine.Snapshot(), false)
		}
	}
}

var (
	_ service              = (*listService)(nil)
	_ prometheus.Collector = (*listCollector)(nil)
)

// listReporter logs list problems, one ERROR line per category naming it
// and why. Between reloads it logs only problems it has not logged yet.
type listReporter struct {
	log *slog.Logger
	now func() time.Time

	mu   sync.Mutex
	seen map[string]bool
}

func (r *listReporter) report(snap *policy.Snapshot, all bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if all {
		r.seen = nil
	}
	current := map[string]bool{}
	for _, p := range listsync.Health(snap, r.now()) {
		key := problemKey(p)
		current[key] = true
		if r.seen[key] {
			continue
		}
		r.log.Error("list category filters less than the policy says", "category", p.Category, "line", p.Line, "entries", p.Entries, "problem", p.String())
	}
	r.seen = current // a problem that went away and comes back is logged again
}

// problemKey identifies a problem by its category and faulty sources, not
// by the ages it prints.
func problemKey(p listsync.Problem) string {
	var b strings.Builder
	b.WriteString(p.Category)
	if p.Empty() {
		b.WriteString("|empty")
	}
	for _, s := range p.Sources {
		b.WriteString("|" + s.Source)
	}
	return b.String()
}

// listCollector exports each category's entries and each url: source's
// age at scrape time. A source never downloaded is infinitely old.
type listCollector struct {
	engine *policy.Engine
	now    func() time.Time
}

var (
	categoryEntriesDesc = prometheus.NewDesc("schoolgate_category_entries",
		"Entries loaded for a category; 0 means it filters nothing.", []string{"category"}, nil)
	listAgeDesc = prometheus.NewDesc("schoolgate_list_age_seconds",
		"Time since a url: list source was last checked successfully (+Inf: never downloaded).", []string{"category", "source"}, nil)
)

func (c *listCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- categoryEntriesDesc
	ch <- listAgeDesc
}

func (c *listCollector) Collect(ch chan<- prometheus.Metric) {
	for _, cs := range listsync.Status(c.engine.Snapshot(), c.now()) {
		ch <- prometheus.MustNewConstMetric(categoryEntriesDesc, prometheus.GaugeValue, float64(cs.Entries), cs.Name)
		seen := map[string]bool{}
		for _, s := range cs.Sources {
			if !s.URL || seen[s.Source] {
				continue // a url listed twice in a category is one series
			}
			seen[s.Source] = true
			age := s.Age.Seconds()
			if s.Missing {
				age = math.Inf(1)
			}
			ch <- prometheus.MustNewConstMetric(listAgeDesc, prometheus.GaugeValue, age, cs.Name, s.Source)
		}
	}
}
