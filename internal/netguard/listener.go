package netguard

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Backoff after a failed accept: from minDelay, doubling to maxDelay, as
// net/http's Server.Serve does.
const (
	minDelay = 5 * time.Millisecond
	maxDelay = time.Second
)

// listener is a net.Listener under a Guard.
type listener struct {
	net.Listener
	g      *Guard
	closed chan struct{}
	once   sync.Once
}

// Wrap puts ln under g. Its Accept returns only admitted connections,
// and an error only once ln is closed.
func (g *Guard) Wrap(ln net.Listener) net.Listener {
	return &listener{Listener: ln, g: g, closed: make(chan struct{})}
}

// Accept waits for a connection the guard admits. Any accept error but a
// closed listener's (out of descriptors, ENOBUFS, a connection reset in
// the queue) is retried after a growing pause: serving stops only when
// the listener is closed.
func (l *listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.isClosed() {
				return nil, err
			}
			delay = min(max(2*delay, minDelay), maxDelay)
			l.g.acceptFailed(err, delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.closed:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		delay = 0
		if gc := l.g.admit(c); gc != nil {
			return gc, nil
		}
	}
}

// Close closes the listener and ends a backoff in progress.
func (l *listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *listener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

// acceptFailed counts a failed accept and warns (at most once a minute
// per guard, and not per failure: a flood fails thousands of times).
func (g *Guard) acceptFailed(err error, delay time.Duration) {
	g.m.acceptErrors.Inc()
	if due(&g.warnedAccept) {
		g.log.Warn("accept failed: retrying (out of file descriptors? see schoolgate_accept_errors_total)",
			"listener", g.name, "err", err, "retry_in", delay)
	}
}
