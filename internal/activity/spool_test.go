package activity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// downStore refuses every batch while down, and remembers the ids it
// stored and how often each came.
type downStore struct {
	down  atomic.Bool
	mu    sync.Mutex
	seen  map[EventID]int
	order []EventID
}

func (d *downStore) InsertEvents(_ context.Context, ev []Event) error {
	if d.down.Load() {
		return errors.New("connection refused")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = make(map[EventID]int)
	}
	for _, e := range ev {
		d.seen[e.ID]++
		d.order = append(d.order, e.ID)
	}
	return nil
}

// stored is how many distinct events are stored, and how many were
// stored more than once.
func (d *downStore) stored() (distinct, twice int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range d.seen {
		if n > 1 {
			twice++
		}
	}
	return len(d.seen), twice
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func TestSpoolWhileStoreDown(t *testing.T) {
	st := &downStore{}
	st.down.Store(true)
	dir := filepath.Join(t.TempDir(), "spool")
	w, err := NewWriter(st, WriterOptions{BatchSize: 100, FlushInterval: 10 * time.Millisecond, SpoolDir: dir, ReplayInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 5000 {
		w.Log(Event{Time: time.Now(), Host: "x.example", Verdict: "allow", Rule: string(rune('a' + i%26))})
	}
	waitFor(t, "every event spooled", 10*time.Second, func() bool { return w.Spooled() == 5000 })
	if !w.Spooling() || w.SpoolBytes() == 0 || w.Dropped() != 0 {
		t.Fatalf("spooling %v, %d bytes, %d dropped", w.Spooling(), w.SpoolBytes(), w.Dropped())
	}
	st.down.Store(false)
	took := waitFor(t, "spool replayed", 10*time.Second, func() bool { n, _ := st.stored(); return n == 5000 })
	t.Logf("replayed 5000 events %v after the store returned", took)
	// The replay counts a batch just after the store has it: wait for the
	// count too, not only for the rows.
	waitFor(t, "spool emptied", 5*time.Second, func() bool { return w.Spooled() == 0 && w.SpoolBytes() == 0 && w.Replayed() == 5000 })
	if n, twice := st.stored(); n != 5000 || twice != 0 || w.Replayed() != 5000 || w.Spooling() {
		t.Fatalf("stored %d (%d twice), replayed %d, spooling %v", n, twice, w.Replayed(), w.Spooling())
	}
	// Back to writing straight to the store.
	w.Log(Event{Time: time.Now(), Host: "y.example"})
	waitFor(t, "a new event written", 5*time.Second, func() bool { n, _ := st.stored(); return n == 5001 })
	if w.Written() != 1 {
		t.Fatalf("written %d, want the one event after the store returned", w.Written())
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("spool files left after replay: %d", len(left))
	}
}

// TestSpoolBoundDropsOldest fills a small spool: the oldest events go,
// counted, and the newest are replayed.
func TestSpoolBoundDropsOldest(t *testing.T) {
	st := &downStore{}
	st.down.Store(true)
	const limit = 256 << 10
	w, err := NewWriter(st, WriterOptions{BatchSize: 200, FlushInterval: 5 * time.Millisecond, SpoolDir: t.TempDir(), SpoolMax: limit, ReplayInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const n = 20000
	ids := make([]EventID, n)
	for i := range n {
		e := Event{Time: time.Now(), Host: "x.example", Verdict: "block", Categories: []string{"games"}}
		e.ID = NewEventID(e.Time)
		ids[i] = e.ID
		w.Log(e)
		if i%200 == 199 {
			waitFor(t, "batch spooled", 5*time.Second, func() bool { return w.Queued() == 0 })
		}
	}
	waitFor(t, "all spooled or dropped", 10*time.Second, func() bool { return w.Spooled()+int64(w.SpoolDropped()) == n })
	if w.SpoolBytes() > limit || w.SpoolDropped() == 0 {
		t.Fatalf("spool %d bytes (bound %d), %d dropped", w.SpoolBytes(), limit, w.SpoolDropped())
	}
	kept := w.Spooled()
	st.down.Store(false)
	waitFor(t, "spool replayed", 10*time.Second, func() bool { d, _ := st.stored(); return int64(d) == kept })
	// What was kept is the newest events, in order.
	st.mu.Lock()
	defer st.mu.Unlock()
	for i, id := range st.order {
		if id != ids[n-int(kept)+i] {
			t.Fatalf("replayed event %d is not the %dth newest: the oldest were not dropped first", i, int(kept)-i)
		}
	}
	if w.Dropped() != w.SpoolDropped() {
		t.Fatalf("dropped %d, spool dropped %d", w.Dropped(), w.SpoolDropped())
	}
}

// TestSpoolLeftByStoppedProcess: a writer stopped while the store is down
// leaves its spool (with a record cut short by a crash after it); the next
// writer replays it.
func TestSpoolLeftByStoppedProcess(t *testing.T) {
	dir := t.TempDir()
	st := &downStore{}
	st.down.Store(true)
	w, err := NewWriter(st, WriterOptions{BatchSize: 50, FlushInterval: 5 * time.Millisecond, SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for range 1234 {
		w.Log(Event{Time: time.Now(), Host: "x.example", User: "amy"})
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.spool"))
	if len(segs) == 0 {
		t.Fatal("no spool left")
	}
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 0, 1, 0, 0, 0, 0, 5, 1, 2}) // a header cut short
	f.Close()

	st.down.Store(false)
	w2, err := NewWriter(st, WriterOptions{SpoolDir: dir, ReplayInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if w2.Spooled() != 1234 {
		t.Fatalf("the next writer found %d spooled events, want 1234", w2.Spooled())
	}
	waitFor(t, "the left spool replayed", 10*time.Second, func() bool { n, _ := st.stored(); return n == 1234 })
	if _, twice := st.stored(); twice != 0 || w2.SpoolDropped() != 0 {
		t.Fatalf("%d stored twice, %d dropped", twice, w2.SpoolDropped())
	}
}

// TestSpoolCorruptRecord: a record whose checksum fails is dropped with
// the rest of its segment, counted; the other segments are replayed.
func TestSpoolCorruptRecord(t *testing.T) {
	dir := t.TempDir()
	sp, err := openSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sp.append([]Event{{Host: "a.example"}, {Host: "b.example"}}); err != nil {
		t.Fatal(err)
	}
	sp.close()
	if err := sp.rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.append([]Event{{Host: "c.example"}}); err != nil {
		t.Fatal(err)
	}
	sp.close()
	first := filepath.Join(dir, "0000000000000001.spool")
	b, _ := os.ReadFile(first)
	b[len(b)-3] ^= 0xff
	os.WriteFile(first, b, 0o600)
	sp, err = openSpool(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	batch, m, ok, lost, err := sp.next()
	if err != nil || !ok || lost != 2 || len(batch) != 1 || batch[0].Host != "c.example" {
		t.Fatalf("next: %v %v lost %d %+v", err, ok, lost, batch)
	}
	sp.done(m)
	if _, _, ok, _, _ := sp.next(); ok {
		t.Fatal("a record after the last")
	}
	if b, n := sp.stats(); b != 0 || n != 0 {
		t.Fatalf("spool not empty: %d bytes, %d events", b, n)
	}
}
