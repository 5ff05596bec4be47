package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/netguard"
)

// splice joins the client to the site until both directions finish. first
// goes to the site before anything else (a replayed TLS hello), then any
// bytes the client sent behind its CONNECT that are already buffered; after
// that the two raw connections are handed to io.Copy, which between two
// *net.TCPConn moves the bytes with splice(2) through a kernel pipe, never
// through user space. A direction that reaches end of file half-closes the
// other side (CloseWrite), so each peer sees the other's end; a direction
// that fails (a reset, an idle timeout, a shutdown) closes both.
func (c *conn) splice(up net.Conn, first []byte) {
	defer up.Close()
	up.SetWriteDeadline(time.Now().Add(c.set.idleTimeout))
	if len(first) > 0 {
		if _, err := up.Write(first); err != nil {
			return
		}
	}
	if n := c.br.Buffered(); n > 0 {
		b, _ := c.br.Peek(n)
		if _, err := up.Write(b); err != nil {
			return
		}
		c.br.Discard(n)
	}
	c.s.m.tunnels[tunnelSpliced].Inc()
	defer c.s.m.tunnels[tunnelSpliced].Dec()
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.s.pipe(c.c, up, c.set.idleTimeout, &last, c.s.m.bytes[toClient])
	}()
	c.s.pipe(up, c.c, c.set.idleTimeout, &last, c.s.m.bytes[toSite])
	<-done
}

// pipe copies src to dst until src ends, then half-closes dst; on an
// error it closes both, which ends the other direction too. last is the
// tunnel's latest sign of life, shared by both directions; moved counts
// the bytes copied.
func (s *Server) pipe(dst, src net.Conn, idle time.Duration, last *atomic.Int64, moved prometheus.Counter) {
	var err error
	// A client connection under serve's netguard is a wrapper: its
	// *net.TCPConn splices (it is still closed through the wrapper below).
	dt, dok := netguard.Unwrap(dst).(*net.TCPConn)
	st, sok := netguard.Unwrap(src).(*net.TCPConn)
	if dok && sok {
		err = copyIdle(dt, st, idle, last, moved, nil)
	} else {
		bp := s.bufs.Get().(*[]byte)
		err = copyIdle(dst, src, idle, last, moved, *bp)
		s.bufs.Put(bp)
	}
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	dst.Close()
	src.Close()
}

// copyIdle copies src to dst until src's end of file (a nil error), or
// until the tunnel has been idle, both ways, for an idle period.
//
// The deadline cannot be renewed on every read, since splice(2) runs
// inside one io.Copy call. Instead each io.Copy runs for a window of half
// an idle period (its read deadline); when the window ends, a copy that
// moved bytes records the time in last, and the copy resumes in a new
// window unless nothing moved either way for an idle period. A tunnel busy
// one way only (a download) thus stays open, and a silent one is closed
// between one and two idle periods after its last byte. Resuming is safe
// with Go's splice: its kernel pipe is always empty while it waits to
// read (it has drained the pipe into dst first), so a read deadline loses
// no byte. The write deadline ends the window's second half: a copy that
// fails past it was stuck writing to a peer that reads nothing, its pipe
// may hold bytes, and the tunnel ends.
func copyIdle(dst, src net.Conn, idle time.Duration, last *atomic.Int64, moved prometheus.Counter, buf []byte) error {
	for {
		start := time.Now()
		writeBy := start.Add(idle)
		src.SetReadDeadline(start.Add(idle / 2))
		dst.SetWriteDeadline(writeBy)
		var n int64
		var err error
		if buf == nil {
			n, err = io.Copy(dst, src)
		} else {
			n, err = io.CopyBuffer(onlyWriter{dst}, onlyReader{src}, buf)
		}
		now := time.Now()
		if n > 0 {
			moved.Add(float64(n))
			last.Store(now.UnixNano())
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || !now.Before(writeBy) || now.UnixNano()-last.Load() >= int64(idle) {
			return err
		}
	}
}

// onlyReader and onlyWriter hide ReaderFrom and WriterTo, so io.CopyBuffer
// uses the pooled buffer rather than allocating its own.
type onlyReader struct{ io.Reader }
type onlyWriter struct{ io.Writer }
