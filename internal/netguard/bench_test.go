package netguard

import (
	"net"
	"net/netip"
	"testing"
)

// stubConn is an accepted connection that costs nothing, so that the
// benchmarks below measure the guard alone.
type stubConn struct {
	net.Conn
	remote *net.TCPAddr
}

func (c *stubConn) RemoteAddr() net.Addr { return c.remote }
func (c *stubConn) Close() error         { return nil }

// stubListener hands out the same connections in turn.
type stubListener struct {
	conns []net.Conn
	i     int
}

func (l *stubListener) Accept() (net.Conn, error) {
	c := l.conns[l.i%len(l.conns)]
	l.i++
	return c, nil
}
func (l *stubListener) Close() error   { return nil }
func (l *stubListener) Addr() net.Addr { return &net.TCPAddr{} }

func newStubListener(clients int) *stubListener {
	l := &stubListener{}
	for i := range clients {
		l.conns = append(l.conns, &stubConn{remote: &net.TCPAddr{IP: net.IPv4(10, 0, byte(i>>8), byte(i)), Port: 40000}})
	}
	return l
}

// BenchmarkAcceptRaw is one accept and close with no guard: the baseline.
func BenchmarkAcceptRaw(b *testing.B) {
	ln := newStubListener(64)
	for b.Loop() {
		c, _ := ln.Accept()
		c.Close()
	}
}

// BenchmarkAcceptGuarded is the same under a guard with an allow-list:
// what each connection pays (address, allow-list, caps, wrapper, close).
func BenchmarkAcceptGuarded(b *testing.B) {
	g, err := New(Options{Name: "bench", Allow: func(a netip.Addr) bool { return a.Is4() }})
	if err != nil {
		b.Fatal(err)
	}
	ln := g.Wrap(newStubListener(64))
	b.ReportAllocs()
	for b.Loop() {
		c, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkAcceptGuardedParallel accepts on one goroutine while closes
// come from others, as in a server: the lock's contention.
func BenchmarkAcceptGuardedParallel(b *testing.B) {
	g, err := New(Options{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ln := g.Wrap(newStubListener(64))
	conns := make(chan net.Conn, 1024)
	done := make(chan struct{})
	for range 4 {
		go func() {
			for c := range conns {
				c.Close()
			}
			done <- struct{}{}
		}()
	}
	for b.Loop() {
		c, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		conns <- c
	}
	close(conns)
	for range 4 {
		<-done
	}
}
