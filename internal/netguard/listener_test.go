package netguard

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// fakeListener returns errs in turn, then forever errLast (if set), else
// the connections sent on conns.
type fakeListener struct {
	errs    []error
	errLast error
	conns   chan net.Conn
	closed  chan struct{}
}

func (f *fakeListener) Accept() (net.Conn, error) {
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	if f.errLast != nil {
		return nil, f.errLast
	}
	select {
	case c := <-f.conns:
		return c, nil
	case <-f.closed:
		return nil, net.ErrClosed
	}
}

func (f *fakeListener) Close() error   { close(f.closed); return nil }
func (f *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

// emfile is accept(2) out of descriptors, as net wraps it.
func emfile() error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
}

func TestAcceptBacksOffOnEMFILE(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	fl := &fakeListener{errs: []error{emfile(), emfile(), emfile(), &net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ENOBUFS)}}, conns: make(chan net.Conn, 1), closed: make(chan struct{})}
	fl.conns <- a
	g, err := New(Options{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c, err := g.Wrap(fl).Accept()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Accept returned %v; an accept error must be retried", err)
	}
	defer c.Close()
	// 5 + 10 + 20 + 40 ms of pauses, doubling as net/http's.
	if took < 75*time.Millisecond {
		t.Fatalf("four failed accepts retried in %v, want at least 75ms of backoff", took)
	}
	if got := value(t, g.m.acceptErrors); got != 4 {
		t.Fatalf("schoolgate_accept_errors_total = %v, want 4", got)
	}
}

func TestAcceptBackoffEndsOnClose(t *testing.T) {
	fl := &fakeListener{errLast: emfile(), closed: make(chan struct{})}
	g, err := New(Options{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ln := g.Wrap(fl)
	errc := make(chan error, 1)
	go func() { _, err := ln.Accept(); errc <- err }()
	time.Sleep(1500 * time.Millisecond) // long enough to reach the 1 s cap
	start := time.Now()
	ln.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Fatalf("Accept took %v to notice Close during a backoff", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Accept still backing off after Close")
	}
	// 5+10+...+640 ms reaches 1.275 s after 8 failures, then 1 s each.
	if got := value(t, g.m.acceptErrors); got < 8 || got > 10 {
		t.Fatalf("schoolgate_accept_errors_total = %v after 1.5 s, want 8 or 9 (delays doubling to 1 s)", got)
	}
}

func TestUnwrapAndCloseWrite(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Options{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ln := g.Wrap(raw)
	defer ln.Close()
	go func() {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err == nil {
			defer c.Close()
			var b [1]byte
			c.Read(b[:])
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := Unwrap(c).(*net.TCPConn); !ok {
		t.Fatalf("Unwrap gave %T, want *net.TCPConn (splice needs it)", Unwrap(c))
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	a, b := net.Pipe()
	defer b.Close()
	pc := &Conn{Conn: a, g: g}
	if err := pc.CloseWrite(); !errors.Is(err, ErrNoCloseWrite) {
		t.Fatalf("CloseWrite on a pipe: %v", err)
	}
}
