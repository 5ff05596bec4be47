package activity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Store takes batches of events (the storage layer implements it).
type Store interface {
	InsertEvents(ctx context.Context, events []Event) error
}

// WriterOptions tune a Writer; zero values take the defaults.
type WriterOptions struct {
	QueueSize     int           // events held in memory (default 131072)
	BatchSize     int           // events per transaction (default 8192)
	FlushInterval time.Duration // longest an event waits for a batch (default 250ms)
	// Registerer receives the writer's metrics (nil: not registered).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Writer is the asynchronous, batching activity Sink: Log puts the event on
// a bounded queue and returns at once; one goroutine writes batches. When
// the queue is full the event is dropped and counted (a metric, and a
// warning in the log at most every 10 seconds), never waited for. Close
// writes everything still queued.
type Writer struct {
	st   Store
	opt  WriterOptions
	log  *slog.Logger
	ch   chan Event
	stop chan struct{}
	done chan struct{}

	closed  atomic.Bool
	dropped atomic.Uint64
	written atomic.Uint64
	once    sync.Once
	err     error

	mWritten prometheus.Counter
	mDropped prometheus.Counter
	mErrors  prometheus.Counter
	mBatch   prometheus.Histogram
}

var _ Sink = (*Writer)(nil)

// ErrClosed is returned by a second Close.
var ErrClosed = errors.New("activity writer closed")

// NewWriter starts a writer over st.
func NewWriter(st Store, opt WriterOptions) (*Writer, error) {
	if opt.QueueSize <= 0 {
		opt.QueueSize = 1 << 17
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 8192
	}
	if opt.FlushInterval <= 0 {
		opt.FlushInterval = 250 * time.Millisecond
	}
	w := &Writer{st: st, opt: opt, log: opt.Logger, ch: make(chan Event, opt.QueueSize),
		stop: make(chan struct{}), done: make(chan struct{})}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.mWritten = prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_activity_events_written_total",
		Help: "Activity events written to the database."})
	w.mDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_activity_events_dropped_total",
		Help: "Activity events dropped because the queue was full or the database failed."})
	w.mErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "schoolgate_activity_write_errors_total",
		Help: "Failed activity batch writes."})
	w.mBatch = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "schoolgate_activity_batch_seconds",
		Help: "Time to write one activity batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "schoolgate_activity_queue_length",
		Help: "Activity events waiting to be written."}, func() float64 { return float64(len(w.ch)) })
	if opt.Registerer != nil {
		for _, c := range []prometheus.Collector{w.mWritten, w.mDropped, w.mErrors, w.mBatch, queue} {
			if err := opt.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("activity metrics: %w", err)
			}
		}
	}
	go w.run()
	return w, nil
}

// Log queues e; it never blocks. Events logged after Close are dropped.
func (w *Writer) Log(e Event) {
	if w.closed.Load() {
		w.drop(1)
		return
	}
	select {
	case w.ch <- e:
	default:
		w.drop(1)
	}
}

func (w *Writer) drop(n int) {
	w.dropped.Add(uint64(n))
	w.mDropped.Add(float64(n))
}

// Dropped is the number of events dropped so far.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Close stops taking events, writes every queued one and returns the last
// write error, if any. Stop the enforcement points first: an event logged
// while Close runs may be dropped.
func (w *Writer) Close() error {
	err := ErrClosed
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.stop)
		<-w.done
		err = w.err
	})
	return err
}

func (w *Writer) run() {
	defer close(w.done)
	batch := make([]Event, 0, w.opt.BatchSize)
	tick := time.NewTicker(w.opt.FlushInterval)
	defer tick.Stop()
	var warned uint64
	lastWarn := time.Time{}
	for {
		select {
		case e := <-w.ch:
			batch = append(batch, e)
			// Take whatever else is queued, up to a batch, without waiting.
			for len(batch) < cap(batch) {
				select {
				case e := <-w.ch:
					batch = append(batch, e)
					continue
				default:
				}
				break
			}
			if len(batch) == cap(batch) {
				batch = w.flush(batch)
			}
		case <-tick.C:
			batch = w.flush(batch)
			if d := w.dropped.Load(); d != warned && time.Since(lastWarn) >= 10*time.Second {
				w.log.Warn("activity log overloaded: events dropped", "dropped", d-warned, "dropped_total", d)
				warned, lastWarn = d, time.Now()
			}
		case <-w.stop:
			for {
				select {
				case e := <-w.ch:
					batch = append(batch, e)
					if len(batch) == cap(batch) {
						batch = w.flush(batch)
					}
					continue
				default:
				}
				break
			}
			w.flush(batch)
			if d := w.dropped.Load(); d != warned {
				w.log.Warn("activity log: events dropped", "dropped_total", d)
			}
			return
		}
	}
}

// flush writes a batch, retrying a failed write a few times; a batch that
// still fails is dropped and counted (the queue must keep moving).
func (w *Writer) flush(batch []Event) []Event {
	if len(batch) == 0 {
		return batch
	}
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 100 * time.Millisecond)
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = w.st.InsertEvents(ctx, batch)
		cancel()
		if err == nil {
			w.mBatch.Observe(time.Since(start).Seconds())
			w.mWritten.Add(float64(len(batch)))
			w.written.Add(uint64(len(batch)))
			return batch[:0]
		}
		w.mErrors.Inc()
	}
	w.log.Error("activity log: batch lost after retries", "events", len(batch), "err", err)
	w.drop(len(batch))
	w.err = err
	return batch[:0]
}

// Written is the number of events written so far.
func (w *Writer) Written() uint64 { return w.written.Load() }
