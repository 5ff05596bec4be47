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
	// QueueSize is the most events held in memory (default 131072). The
	// memory is taken as the backlog grows, a chunk at a time, and given
	// back once written: an idle writer holds none.
	QueueSize     int
	BatchSize     int           // events per transaction (default 8192)
	FlushInterval time.Duration // longest an event waits for a batch (default 250ms)
	// Writers is how many batches may be written at once (default 1).
	// A store whose server applies each batch in one process
	// (PostgreSQL's backend per connection) writes faster with two; the
	// goroutine that fills batches always works one batch ahead.
	Writers int
	// SpoolDir, when set, is the folder of the local spool: batches the
	// store refuses are kept there, at most SpoolMax bytes (default
	// 1 GiB; when full the oldest go first, counted), and replayed into
	// the store once it takes them again, tried every ReplayInterval
	// (default 1s). A spool left by a stopped process is replayed by the
	// next. Without it a batch the store refuses is dropped.
	SpoolDir       string
	SpoolMax       int64
	ReplayInterval time.Duration
	// Registerer receives the writer's metrics (nil: not registered).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// chunkEvents is the size of the queue's chunks (about 60 KB of Events):
// big enough that allocating one is rare, small enough that a quiet
// school's backlog costs next to nothing.
const chunkEvents = 256

// Writer is the asynchronous, batching activity Sink: Log puts the event on
// a bounded queue and returns at once; one goroutine fills batches and
// Writers goroutines write them. When
// the queue is full the event is dropped and counted (a metric, and a
// warning in the log at most every 10 seconds), never waited for. Close
// writes everything still queued.
type Writer struct {
	st   Store
	opt  WriterOptions
	log  *slog.Logger
	q    *queue
	stop chan struct{}
	done chan struct{}
	work chan []Event // full batches, to the writing goroutines
	free chan []Event // written batches' buffers, for reuse
	wg   sync.WaitGroup

	dropped atomic.Uint64
	written atomic.Uint64
	once    sync.Once
	errMu   sync.Mutex
	err     error // the last batch lost

	sp *spool // nil without SpoolDir (writer_spool.go)
	spoolState
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
	opt.Writers = max(opt.Writers, 1)
	// A chunk never outgrows a batch, so a batch always has room for the
	// oldest chunk once it is empty. Written chunks are kept for reuse up
	// to the queue's bound (a sustained overload then allocates nothing)
	// and let go when the writer has been idle.
	chunk := min(chunkEvents, opt.BatchSize)
	w := &Writer{st: st, opt: opt, log: opt.Logger, q: newQueue(opt.QueueSize, chunk, (opt.QueueSize+chunk-1)/chunk),
		stop: make(chan struct{}), done: make(chan struct{}),
		work: make(chan []Event), free: make(chan []Event, opt.Writers+1)}
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
		Help: "Activity events waiting to be written."}, func() float64 { return float64(w.q.len()) })
	metrics := []prometheus.Collector{w.mWritten, w.mDropped, w.mErrors, w.mBatch, queue}
	if opt.SpoolDir != "" {
		if err := w.openSpool(); err != nil {
			return nil, err
		}
		metrics = append(metrics, w.spoolMetrics()...)
	}
	if opt.Registerer != nil {
		for _, c := range metrics {
			if err := opt.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("activity metrics: %w", err)
			}
		}
	}
	w.wg.Add(opt.Writers)
	for range opt.Writers {
		go w.writeBatches()
	}
	go w.run()
	if w.sp != nil {
		go w.replayLoop()
	}
	return w, nil
}

// Log queues e; it never blocks. Events logged after Close are dropped.
func (w *Writer) Log(e Event) {
	if e.ID.IsZero() {
		e.ID = NewEventID(e.Time)
	}
	if !w.q.push(&e) {
		w.drop(1)
	}
}

func (w *Writer) drop(n int) {
	w.dropped.Add(uint64(n))
	w.mDropped.Add(float64(n))
}

// Dropped is the number of events dropped so far.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Queued is the number of events waiting in the queue.
func (w *Writer) Queued() int { return w.q.len() }

// Close stops taking events, writes every queued one and returns the last
// write error, if any. Stop the enforcement points first: an event logged
// after Close has begun is dropped and counted.
func (w *Writer) Close() error {
	err := ErrClosed
	w.once.Do(func() {
		w.q.close()
		close(w.stop)
		<-w.done
		w.closeSpool()
		w.errMu.Lock()
		err = w.err
		w.errMu.Unlock()
	})
	return err
}

func (w *Writer) run() {
	defer close(w.done)
	defer w.wg.Wait()
	defer close(w.work)
	var batch []Event
	var chunks [][]Event
	tick := time.NewTicker(w.opt.FlushInterval)
	defer tick.Stop()
	var warned uint64
	lastWarn := time.Time{}
	var lastWritten uint64 // at the previous tick
	idle := false
	for {
		select {
		case <-w.q.ready:
			batch, chunks = w.fill(batch, chunks, false)
		case <-tick.C:
			batch, chunks = w.fill(batch, chunks, true)
			batch = w.flush(batch)
			if d := w.dropped.Load(); d != warned && time.Since(lastWarn) >= 10*time.Second {
				w.log.Warn("activity log overloaded: events dropped", "dropped", d-warned, "dropped_total", d)
				warned, lastWarn = d, time.Now()
			}
			// Two quiet ticks in a row: give the batch buffer and the
			// spare chunks back, so an idle writer holds no memory.
			written := w.written.Load()
			quiet := written == lastWritten
			if quiet && idle {
				batch = nil
				w.q.trim()
				w.dropBuffers()
			}
			idle, lastWritten = quiet, written
		case <-w.stop:
			for {
				batch, chunks = w.fill(batch, chunks, true)
				batch = w.flush(batch)
				if w.q.len() == 0 {
					break
				}
			}
			if d := w.dropped.Load(); d != warned {
				w.log.Warn("activity log: events dropped", "dropped_total", d)
			}
			return
		}
	}
}

// fill moves queued events into batch, writing each batch that fills;
// partial takes the chunk still being filled too. chunks is scratch space.
func (w *Writer) fill(batch []Event, chunks [][]Event, partial bool) ([]Event, [][]Event) {
	for {
		chunks = w.q.grab(w.opt.BatchSize-len(batch), partial, chunks[:0])
		if len(chunks) == 0 {
			return batch, chunks
		}
		// The batch grows with the backlog, up to BatchSize.
		for _, c := range chunks {
			batch = append(batch, c...)
		}
		w.q.recycle(chunks)
		clear(chunks)
		if len(batch) >= w.opt.BatchSize {
			batch = w.flush(batch)
		}
	}
}

// flush hands a batch to a writing goroutine (waiting for one to be free)
// and returns an empty buffer for the next: a written batch's, or a new
// one.
func (w *Writer) flush(batch []Event) []Event {
	if len(batch) == 0 {
		return batch
	}
	w.work <- batch
	select {
	case b := <-w.free:
		return b
	default:
		// As big as the last: the backlog is likely the same.
		return make([]Event, 0, len(batch))
	}
}

// dropBuffers lets the spare batch buffers go.
func (w *Writer) dropBuffers() {
	for {
		select {
		case <-w.free:
		default:
			return
		}
	}
}

// writeBatches writes the batches handed over until Close, then keeps each
// buffer for reuse (its events cleared for the collector).
func (w *Writer) writeBatches() {
	defer w.wg.Done()
	for batch := range w.work {
		w.write(batch)
		clear(batch)
		select {
		case w.free <- batch[:0]:
		default:
		}
	}
}

// write writes a batch, retrying a failed write a few times; a batch that
// still fails goes to the spool, or without one is dropped and counted
// (the queue must keep moving). While the store is down batches go
// straight to the spool.
func (w *Writer) write(batch []Event) {
	attempts, timeout := 4, 30*time.Second
	if w.sp != nil {
		if w.down.Load() {
			w.toSpool(batch)
			return
		}
		attempts, timeout = 2, 10*time.Second
	}
	var err error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt*attempt) * 100 * time.Millisecond)
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err = w.st.InsertEvents(ctx, batch)
		cancel()
		if err == nil {
			w.mBatch.Observe(time.Since(start).Seconds())
			w.mWritten.Add(float64(len(batch)))
			w.written.Add(uint64(len(batch)))
			return
		}
		w.mErrors.Inc()
	}
	if w.sp != nil {
		w.storeDown(err)
		w.toSpool(batch)
		return
	}
	w.log.Error("activity log: batch lost after retries", "events", len(batch), "err", err)
	w.drop(len(batch))
	w.errMu.Lock()
	w.err = err
	w.errMu.Unlock()
}

// Written is the number of events written so far.
func (w *Writer) Written() uint64 { return w.written.Load() }
