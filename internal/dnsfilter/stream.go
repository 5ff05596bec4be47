package dnsfilter

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
)

// streamPool keeps a few idle TCP or TLS connections to one upstream, so
// that DNS over TLS does not pay a handshake per query.
type streamPool struct {
	addr string
	tls  *tls.Config // nil: plain TCP
	idle chan *dns.Conn
}

const streamIdle = 4

func newStreamPool(addr string, conf *tls.Config) *streamPool {
	return &streamPool{addr: addr, tls: conf, idle: make(chan *dns.Conn, streamIdle)}
}

func (p *streamPool) get(ctx context.Context) (*dns.Conn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if p.tls != nil {
		td := &tls.Dialer{NetDialer: d, Config: p.tls}
		conn, err = td.DialContext(ctx, "tcp", p.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", p.addr)
	}
	if err != nil {
		return nil, err
	}
	return &dns.Conn{Conn: conn}, nil
}

func (p *streamPool) put(c *dns.Conn) {
	select {
	case p.idle <- c:
	default:
		c.Close()
	}
}

// exchange sends m on a pooled connection; a reused connection that the
// server closed meanwhile is retried once on a fresh one.
func (p *streamPool) exchange(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	for attempt := 0; attempt < 2; attempt++ {
		c, err := p.get(ctx)
		if err != nil {
			return nil, err
		}
		dl, ok := ctx.Deadline()
		if !ok {
			dl = time.Now().Add(5 * time.Second)
		}
		c.SetDeadline(dl)
		err = c.WriteMsg(m)
		var reply *dns.Msg
		if err == nil {
			reply, err = c.ReadMsg()
		}
		if err == nil && reply.Id != m.Id {
			err = fmt.Errorf("%w: reply ID does not match", ErrBadUpstream)
		}
		if err == nil {
			p.put(c)
			return reply, nil
		}
		c.Close()
		if ctx.Err() != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: %s: connection failed twice", ErrNoUpstream, p.addr)
}
