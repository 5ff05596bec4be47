package activity

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

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
	if w.Dropped() < 10_000-64-16 {
		t.Fatalf("dropped %d; the queue holds 64", w.Dropped())
	}
	close(st.gate)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := uint64(st.len()) + w.Dropped(); got != 10_000 {
		t.Fatalf("stored %d + dropped %d != 10,000 logged", st.len(), w.Dropped())
	}
}

func BenchmarkLog(b *testing.B) {
	st := &memStore{}
	w, _ := NewWriter(st, WriterOptions{})
	e := Event{Host: "www.example.com", Verdict: "allow", Point: PointDNS}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Log(e)
	}
	b.StopTimer()
	w.Close()
}
