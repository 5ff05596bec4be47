package activity

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
)

// memStore keeps batches in memory; gate, when set, holds every write.
type memStore struct {
	mu      sync.Mutex
	events  []Event
	batches int
	gate    chan struct{}
	fail    int
}

func (m *memStore) InsertEvents(ctx context.Context, ev []Event) error {
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return errors.New("database down")
	}
	m.events = append(m.events, ev...)
	m.batches++
	return nil
}

func (m *memStore) len() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.events) }

func TestWriterBatchesAndDrains(t *testing.T) {
	st := &memStore{fail: 1}
	reg := prometheus.NewRegistry()
	w, err := NewWriter(st, WriterOptions{BatchSize: 100, FlushInterval: time.Hour, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1050; i++ {
		w.Log(Event{Host: "x.example", Verdict: "allow"})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st.len() != 1050 || w.Written() != 1050 || w.Dropped() != 0 {
		t.Fatalf("stored %d, written %d, dropped %d; want all 1050 (one failed write retried)", st.len(), w.Written(), w.Dropped())
	}
	if st.batches < 11 {
		t.Fatalf("%d batches for 1050 events of at most 100", st.batches)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	w.Log(Event{})
	if w.Dropped() != 1 {
		t.Fatal("an event logged after Close was not counted as dropped")
	}
	mf, _ := reg.Gather()
	if len(mf) != 5 {
		t.Fatalf("%d metric families registered, want 5", len(mf))
	}
}

func TestWriterNeverBlocks(t *testing.T) {
	st := &memStore{gate: make(chan struct{})}
	w, err := NewWriter(st, WriterOptions{QueueSize: 64, BatchSize: 16, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 10_000; i++ {
		w.Log(Event{Host: "x.example"})
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Log blocked behind a stuck database: %s for 10,000 events", took)
	}
	// In memory: the queue's 64, a batch being written and the next
	// one filled.
	if w.Dropped() < 10_000-64-2*16 {
		t.Fatalf("dropped %d; the queue holds 64 and two batches 16 each", w.Dropped())
	}
	close(st.gate)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := uint64(st.len()) + w.Dropped(); got != 10_000 {
		t.Fatalf("stored %d + dropped %d != 10,000 logged", st.len(), w.Dropped())
	}
}

// countStore counts events without keeping them; gate, when set, holds
// every write.
type countStore struct {
	n    atomic.Int64
	gate chan struct{}
}

func (c *countStore) InsertEvents(ctx context.Context, ev []Event) error {
	if c.gate != nil {
		<-c.gate
	}
	c.n.Add(int64(len(ev)))
	return nil
}

func heapAlloc() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestWriterMemoryFollowsBacklog: a new writer holds (almost) nothing, a
// backlog costs about its events' size, and once written and idle the
// memory goes back.
func TestWriterMemoryFollowsBacklog(t *testing.T) {
	size := int64(unsafe.Sizeof(Event{}))
	base := heapAlloc()
	st := &countStore{gate: make(chan struct{})}
	w, err := NewWriter(st, WriterOptions{FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var open sync.Once
	release := func() { open.Do(func() { close(st.gate) }) }
	defer w.Close()
	defer release()
	idle := heapAlloc() - base
	if idle > 64<<10 {
		t.Fatalf("an idle writer holds %d bytes; the old channel held %d", idle, (1<<17)*size)
	}
	const n = 50_000
	for i := 0; i < n; i++ {
		w.Log(Event{Host: "x.example", Verdict: "allow"})
	}
	if w.Dropped() != 0 {
		t.Fatalf("dropped %d of %d with room for %d", w.Dropped(), n, 1<<17)
	}
	held := heapAlloc() - base
	// Two batches are out of the queue (one being written, the next
	// filled), and the chunks they emptied are kept for reuse.
	if held < n*size*9/10 || held > n*size*7/4 {
		t.Fatalf("a backlog of %d events (%d bytes each) holds %d bytes; want about %d", n, size, held, n*size)
	}
	release()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := heapAlloc() - base
		if st.n.Load() == n && got < 64<<10 {
			t.Logf("heap held by the writer: new %d bytes, with %d events queued %d (%d a %d-byte event), written and idle again %d",
				idle, n, held, held/n, size, got)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("written %d of %d; an idle writer still holds %d bytes after its backlog was written", st.n.Load(), n, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWriterKeepsOrderAndCountsUnderConcurrency: several goroutines log
// while Close runs; every event is either written, in each goroutine's
// order, or counted as dropped.
func TestWriterKeepsOrderAndCountsUnderConcurrency(t *testing.T) {
	st := &memStore{}
	w, err := NewWriter(st, WriterOptions{QueueSize: 5000, BatchSize: 300, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 4, 20_000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				w.Log(Event{Time: time.Unix(int64(i), 0), Rule: strconv.Itoa(g)})
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got := uint64(st.len()) + w.Dropped(); got != goroutines*each {
		t.Fatalf("stored %d + dropped %d != %d logged", st.len(), w.Dropped(), goroutines*each)
	}
	if w.Queued() != 0 {
		t.Fatalf("%d events left queued after Close", w.Queued())
	}
	last := map[string]time.Time{}
	for _, e := range st.events {
		if prev, ok := last[e.Rule]; ok && !e.Time.After(prev) {
			t.Fatalf("goroutine %s: event %v written after %v", e.Rule, e.Time, prev)
		}
		last[e.Rule] = e.Time
	}
}

func BenchmarkLog(b *testing.B) {
	st := &countStore{}
	w, _ := NewWriter(st, WriterOptions{})
	e := Event{Host: "www.example.com", Verdict: "allow", Point: PointDNS}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		w.Log(e)
	}
	b.StopTimer()
	took := time.Since(start)
	w.Close()
	// The store only counts, so the writer is the bottleneck and most
	// events are dropped: what Log costs is ns/op, what the writer
	// drains is accepted/s.
	b.ReportMetric(float64(w.Dropped())/float64(b.N), "dropped/op")
	b.ReportMetric(float64(st.n.Load())/took.Seconds(), "accepted/s")
}

// BenchmarkLogParallel is the DNS hot path: many goroutines logging at
// once while the writer drains into a store that only counts.
func BenchmarkLogParallel(b *testing.B) {
	st := &countStore{}
	w, _ := NewWriter(st, WriterOptions{})
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		e := Event{Host: "www.example.com", Verdict: "allow", Point: PointDNS, Groups: []string{"pupils-ks2"}}
		for pb.Next() {
			w.Log(e)
		}
	})
	b.StopTimer()
	took := time.Since(start)
	w.Close()
	// The store only counts, so the writer is the bottleneck and most
	// events are dropped: what Log costs is ns/op, what the writer
	// drains is accepted/s.
	b.ReportMetric(float64(w.Dropped())/float64(b.N), "dropped/op")
	b.ReportMetric(float64(st.n.Load())/took.Seconds(), "accepted/s")
}

// slowStore takes a while over each batch and notes how many it was given
// at once.
type slowStore struct {
	n, inFlight, most atomic.Int64
}

func (s *slowStore) InsertEvents(ctx context.Context, ev []Event) error {
	now := s.inFlight.Add(1)
	for {
		m := s.most.Load()
		if now <= m || s.most.CompareAndSwap(m, now) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	s.n.Add(int64(len(ev)))
	s.inFlight.Add(-1)
	return nil
}

// TestWriterWriters: with Writers 2 two batches are written at once, never
// more, and Close still writes every event.
func TestWriterWriters(t *testing.T) {
	for _, writers := range []int{1, 2} {
		st := &slowStore{}
		w, err := NewWriter(st, WriterOptions{BatchSize: 100, Writers: writers, FlushInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		const n = 3000
		for i := 0; i < n; i++ {
			w.Log(Event{Host: "x.example"})
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if st.n.Load() != n || w.Written() != n || w.Dropped() != 0 {
			t.Fatalf("writers %d: stored %d, written %d, dropped %d of %d", writers, st.n.Load(), w.Written(), w.Dropped(), n)
		}
		if got := st.most.Load(); got != int64(writers) {
			t.Fatalf("writers %d: at most %d batches were written at once", writers, got)
		}
	}
}
