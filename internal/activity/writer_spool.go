package activity

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultSpoolMax is the spool's bound when none is given: 1 GiB.
const DefaultSpoolMax = 1 << 30

// spoolState is the Writer's part for the spool: whether the store is
// down, the replaying goroutine, and the counts.
type spoolState struct {
	down         atomic.Bool // the last write failed: batches go to the spool
	replayed     atomic.Uint64
	spooled      atomic.Uint64
	spoolDropped atomic.Uint64
	replayCtx    context.Context
	stopReplay   context.CancelFunc
	replayDone   chan struct{}

	mSpooled      prometheus.Counter
	mSpoolDropped prometheus.Counter
	mReplayed     prometheus.Counter
}

func (w *Writer) openSpool() error {
	if w.opt.SpoolMax <= 0 {
		w.opt.SpoolMax = DefaultSpoolMax
	}
	if w.opt.ReplayInterval <= 0 {
		w.opt.ReplayInterval = time.Second
	}
	sp, err := openSpool(w.opt.SpoolDir, w.opt.SpoolMax)
	if err != nil {
		return err
	}
	w.sp = sp
	if b, n := sp.stats(); n > 0 {
		w.log.Warn("activity log: events spooled by an earlier run, to be replayed", "events", n, "bytes", b)
	}
	w.replayDone = make(chan struct{})
	w.replayCtx, w.stopReplay = context.WithCancel(context.Background())
	w.mSpooled = prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_activity_spooled_events_total",
		Help: "Activity events written to the local spool because the database failed."})
	w.mSpoolDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_activity_spool_dropped_events_total",
		Help: "Spooled activity events dropped, oldest first, because the spool reached activity.spool_max (or a spool record was unreadable)."})
	w.mReplayed = prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_activity_replayed_events_total",
		Help: "Spooled activity events replayed into the database."})
	return nil
}

func (w *Writer) spoolMetrics() []prometheus.Collector {
	return []prometheus.Collector{w.mSpooled, w.mSpoolDropped, w.mReplayed,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "schoolgate_activity_spool_bytes",
			Help: "Bytes of the local activity spool on disk."}, func() float64 { return float64(w.SpoolBytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "schoolgate_activity_spool_events",
			Help: "Activity events in the local spool waiting to be replayed."}, func() float64 { return float64(w.Spooled()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "schoolgate_activity_spooling",
			Help: "1 while the database refuses activity batches and they go to the local spool."}, func() float64 {
			if w.Spooling() {
				return 1
			}
			return 0
		}),
	}
}

// storeDown switches the writing goroutines to the spool.
func (w *Writer) storeDown(err error) {
	if w.down.CompareAndSwap(false, true) {
		w.log.Warn("activity log: the database refuses events; spooling them to disk until it returns", "err", err, "spool", w.opt.SpoolDir)
	}
}

// toSpool appends a batch to the spool; one the spool cannot take is
// dropped and counted.
func (w *Writer) toSpool(batch []Event) {
	dropped, err := w.sp.append(batch)
	if dropped > 0 {
		w.spoolDrop(dropped)
	}
	if err != nil {
		w.log.Error("activity log: spool write failed: batch lost", "events", len(batch), "err", err)
		w.drop(len(batch))
		w.errMu.Lock()
		w.err = err
		w.errMu.Unlock()
		return
	}
	w.spooled.Add(uint64(len(batch)))
	w.mSpooled.Add(float64(len(batch)))
}

func (w *Writer) spoolDrop(n int64) {
	w.spoolDropped.Add(uint64(n))
	w.mSpoolDropped.Add(float64(n))
	w.drop(int(n))
}

// replayLoop tries the spool against the store every ReplayInterval
// until Close.
func (w *Writer) replayLoop() {
	defer close(w.replayDone)
	ctx := w.replayCtx
	t := time.NewTicker(w.opt.ReplayInterval)
	defer t.Stop()
	for {
		w.replay(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// replay writes spooled batches, oldest first, until the spool is empty
// or the store fails; records are joined up to BatchSize events a write.
// The first write stored sends new batches to the store again, while the
// backlog is replayed beside them.
func (w *Writer) replay(ctx context.Context) {
	var batch []Event
	var marks []spoolMark
	for ctx.Err() == nil {
		batch, marks = batch[:0], marks[:0]
		w.sp.rewind()
		for len(batch) < w.opt.BatchSize {
			b, mark, ok, lost, err := w.sp.next()
			if lost > 0 {
				w.log.Error("activity log: unreadable spool records dropped", "events", lost)
				w.spoolDrop(lost)
			}
			if err != nil {
				w.log.Error("activity log: spool read failed", "err", err)
				return
			}
			if !ok {
				break
			}
			batch = append(batch, b...)
			marks = append(marks, mark)
		}
		if len(batch) == 0 {
			return
		}
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := w.st.InsertEvents(c, batch)
		cancel()
		if err != nil {
			w.mErrors.Inc()
			w.storeDown(err)
			return
		}
		for _, m := range marks {
			w.sp.done(m)
		}
		w.replayed.Add(uint64(len(batch)))
		w.mReplayed.Add(float64(len(batch)))
		if w.down.CompareAndSwap(true, false) {
			_, left := w.sp.stats()
			w.log.Info("activity log: the database takes events again; replaying the spool", "events_waiting", left)
		}
		if len(marks) == 0 {
			return
		}
	}
}

// closeSpool stops replaying and closes the spool; what it holds stays on
// disk for the next process.
func (w *Writer) closeSpool() {
	if w.sp == nil {
		return
	}
	w.stopReplay()
	<-w.replayDone
	w.sp.close()
	if b, n := w.sp.stats(); n > 0 {
		w.log.Warn("activity log: events left in the spool for the next start", "events", n, "bytes", b)
	}
}

// Spooling reports whether batches go to the spool (the store is down).
func (w *Writer) Spooling() bool { return w.sp != nil && w.down.Load() }

// Spooled is the number of events in the spool waiting to be replayed.
func (w *Writer) Spooled() int64 {
	if w.sp == nil {
		return 0
	}
	_, n := w.sp.stats()
	return n
}

// SpoolBytes is the spool's size on disk.
func (w *Writer) SpoolBytes() int64 {
	if w.sp == nil {
		return 0
	}
	b, _ := w.sp.stats()
	return b
}

// Replayed is the number of spooled events replayed into the store.
func (w *Writer) Replayed() uint64 { return w.replayed.Load() }

// SpoolDropped is the number of spooled events dropped (the spool was
// full, or a record unreadable).
func (w *Writer) SpoolDropped() uint64 { return w.spoolDropped.Load() }
