package activity_test

import (
	"context"
	"database/sql"
	"io"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"schoolgate/internal/activity"
	"schoolgate/internal/store"
	"schoolgate/internal/store/storetest"
)

// pgProxy forwards loopback connections to PostgreSQL; down closes its
// listener and every connection (the database gone, as a node sees it
// when the link to the centre fails), up listens again on the same port.
type pgProxy struct {
	t      *testing.T
	addr   string // the proxy's
	target string // PostgreSQL's
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	p := &pgProxy{t: t, addr: "127.0.0.1:0", target: target}
	p.up()
	p.addr = p.ln.Addr().String()
	t.Cleanup(p.down)
	return p
}

func (p *pgProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *pgProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// viaProxy is the test schema's DSN with the proxy for the server.
func viaProxy(t *testing.T, dsn string, p func(string) *pgProxy) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("SCHOOLGATE_TEST_POSTGRES must be a URL for this test: %v", err)
	}
	u.Host = p(u.Host).addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String()
}

// TestSpoolPostgresGoesAway writes a steady stream of events through a
// proxy to real PostgreSQL, closes the proxy for a few seconds and opens
// it again: no event is refused by the writer, the spool takes them, and
// within 10 seconds of the database's return every event is stored once.
// Then a writer stopped while the database is away leaves its spool to
// the next one, which stores it once.
func TestSpoolPostgresGoesAway(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.PostgresDSN(t)
	var proxy *pgProxy
	pdsn := viaProxy(t, dsn, func(target string) *pgProxy { proxy = newPGProxy(t, target); return proxy })
	st, err := store.Open(ctx, store.Options{PostgresDSN: pdsn})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	check, err := sql.Open("pgx", dsn) // straight, to count
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	count := func() (rows, ids int64) {
		t.Helper()
		if err := check.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT eid) FROM activity`).Scan(&rows, &ids); err != nil {
			t.Fatal(err)
		}
		return rows, ids
	}

	spool := t.TempDir()
	opt := activity.WriterOptions{Writers: 2, BatchSize: 1000, FlushInterval: 50 * time.Millisecond, SpoolDir: spool}
	w, err := activity.NewWriter(st, opt)
	if err != nil {
		t.Fatal(err)
	}
	var logged atomic.Int64
	var slowest atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // about 5,000 events a second, as a busy school's resolver
		defer close(done)
		client := netip.MustParseAddr("10.1.2.3")
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for range 50 {
				start := time.Now()
				w.Log(activity.Event{Time: time.Now(), Client: client, User: "amy", Host: "www.example.com", Verdict: "allow", Point: activity.PointDNS})
				if d := int64(time.Since(start)); d > slowest.Load() {
					slowest.Store(d)
				}
				logged.Add(1)
			}
		}
	}()
	time.Sleep(time.Second)
	proxy.down()
	var peak int64
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		peak = max(peak, w.Spooled())
		time.Sleep(50 * time.Millisecond)
	}
	proxy.up()
	back := time.Now()
	time.Sleep(time.Second)
	close(stop)
	<-done
	n := logged.Load()
	for {
		rows, _ := count()
		if rows >= n && w.Spooled() == 0 {
			break
		}
		if time.Since(back) > 10*time.Second {
			t.Fatalf("%d of %d events stored 10 s after the database returned (%d still spooled)", rows, n, w.Spooled())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d events, %d spooled at the peak, all stored %v after the database returned; slowest Log %v",
		n, peak, time.Since(back).Round(time.Millisecond), time.Duration(slowest.Load()))
	if rows, ids := count(); rows != n || ids != n {
		t.Fatalf("%d rows, %d distinct ids, want %d each", rows, ids, n)
	}
	if peak == 0 || w.Replayed() == 0 || w.Dropped() != 0 {
		t.Fatalf("spooled at the peak %d, replayed %d, dropped %d", peak, w.Replayed(), w.Dropped())
	}
	// Generous for a loaded machine; a Log that waited on the database
	// would take its connect timeout (2 s) or more.
	if s := time.Duration(slowest.Load()); s > time.Second {
		t.Fatalf("Log took %v: the resolver waited on the writer", s)
	}

	// Stopped while the database is away: the next writer replays.
	proxy.down()
	for range 2500 {
		w.Log(activity.Event{Time: time.Now(), User: "bob", Host: "www.example.org", Verdict: "block", Point: activity.PointProxy})
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close with the database away: %v", err)
	}
	if w.Spooled() != 2500 {
		t.Fatalf("%d events spooled at close, want 2500", w.Spooled())
	}
	proxy.up()
	w2, err := activity.NewWriter(st, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	start := time.Now()
	for rows, _ := count(); rows < n+2500; rows, _ = count() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%d of %d stored after a restart", rows, n+2500)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rows, ids := count(); rows != n+2500 || ids != rows {
		t.Fatalf("after the restart: %d rows, %d distinct ids, want %d", rows, ids, n+2500)
	}
}
