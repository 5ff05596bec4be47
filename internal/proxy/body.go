package proxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// errBodyDone is what a request body returns once the connection has moved
// on from its request.
var errBodyDone = errors.New("proxy: request body read after its request ended")

// idleReader is a request body as the proxy forwards it. It extends the
// connection's read deadline on every read (a body may take long, but may
// not stall for longer than d), counts its bytes, and can be cut off: the
// transport may go on reading a body after the site has answered, and
// those reads must not reach the next request's bytes (or, once the
// connection is closed, a pooled reader another connection now uses).
type idleReader struct {
	r io.ReadCloser
	c net.Conn
	d time.Duration

	mu   sync.Mutex // held while reading
	n    atomic.Int64
	eof  atomic.Bool
	done atomic.Bool
}

func (r *idleReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done.Load() {
		return 0, errBodyDone
	}
	r.c.SetReadDeadline(time.Now().Add(r.d))
	n, err := r.r.Read(p)
	r.n.Add(int64(n))
	if err == io.EOF {
		r.eof.Store(true)
	}
	return n, err
}

// Close does not drain the body (net/http's would, without bound): the
// connection decides with finish whether it can carry another request.
func (r *idleReader) Close() error { return nil }

// finish cuts the body off from further reads and reports whether it was
// read to its end, so that the connection may carry another request.
func (r *idleReader) finish() bool {
	r.done.Store(true)
	return r.eof.Load()
}

// wait returns once no read is in progress; call it after closing the
// connection, which ends a read blocked on the network.
func (r *idleReader) wait() {
	r.done.Store(true)
	r.mu.Lock()
	r.mu.Unlock() //nolint:staticcheck // an empty critical section: waiting for the reader is the point
}

// bytesRead is how much of the body has been read so far.
func (r *idleReader) bytesRead() int64 { return r.n.Load() }
