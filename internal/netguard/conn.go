package netguard

import (
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
)

// ErrNoCloseWrite is CloseWrite's error on a connection that cannot
// half-close.
var ErrNoCloseWrite = errors.New("connection cannot half-close")

// Conn is an admitted connection: it is counted against its client's and
// its listener's caps until its first Close.
type Conn struct {
	net.Conn
	g      *Guard
	addr   netip.Addr
	closed atomic.Bool
}

// Close closes the connection; the first call also uncounts it, so
// closing twice (a server's deferred Close after a handler's) is safe.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	if c.closed.CompareAndSwap(false, true) {
		c.g.release(c.addr)
	}
	return err
}

// CloseWrite half-closes the connection, when the one underneath can.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return ErrNoCloseWrite
}

// NetConn is the connection underneath (as tls.Conn's NetConn), for code
// that needs its type, such as a *net.TCPConn for splice(2). Close the
// Conn, never only what NetConn returns, or it stays counted.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// Unwrap returns the connection under a Conn, or c itself.
func Unwrap(c net.Conn) net.Conn {
	if gc, ok := c.(*Conn); ok {
		return gc.Conn
	}
	return c
}
