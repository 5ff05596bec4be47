package dnsfilter

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// stageForward asks the upstreams (the cache missed). It may wait on the
// network, so on the UDP fast path it parks the request on a goroutine of
// its own. Concurrent misses for one name share one upstream query.
func stageForward(s *Server, r *request) action {
	if !r.mayBlock {
		return park
	}
	e, err := s.resolve(cacheKey{name: r.name, qtype: r.qtype, flags: r.keyFlags()}, r.v)
	if err != nil {
		return r.servfail()
	}
	return r.answerEntry(e)
}

// servfail answers SERVFAIL quickly when no upstream answered.
func (r *request) servfail() action {
	return r.reply(dns.RcodeServerFailure, resServFail, edeNoReachableAuth, "no upstream answered")
}

// resolve gets k from the upstreams and caches the answer.
func (s *Server) resolve(k cacheKey, v *view) (*entry, error) {
	k.name = strings.Clone(k.name) // kept by the cache; the request's is reused
	return s.flight.do(k, func() (*entry, error) {
		// No ID yet: each upstream sets its own (SetQuestion would draw
		// one from crypto/rand for nothing).
		m := &dns.Msg{Question: []dns.Question{{Name: dns.Fqdn(k.name), Qtype: k.qtype, Qclass: dns.ClassINET}}}
		m.RecursionDesired = true
		m.CheckingDisabled = k.flags&2 != 0
		m.SetEdns0(ednsSize, k.flags&1 != 0)
		ctx, cancel := context.WithTimeout(context.Background(), v.up.timeout)
		defer cancel()
		reply, wire, err := v.up.exchange(ctx, m)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		e, ttl, ok := (*entry)(nil), uint32(0), false
		if wire != nil {
			if e, ttl, ok = newEntryWire(wire, now); !ok {
				reply = new(dns.Msg)
				if err := reply.Unpack(wire); err != nil {
					return nil, fmt.Errorf("%w: %w", ErrBadUpstream, err)
				}
			}
		}
		if !ok {
			if e, ttl, err = newEntry(reply, now); err != nil {
				return nil, err
			}
		}
		if ttl > 0 {
			s.cache.put(k, e)
		}
		return e, nil
	})
}

// flightGroup shares one upstream query between concurrent misses for the
// same key.
type flightGroup struct {
	mu sync.Mutex
	m  map[cacheKey]*flight
}

type flight struct {
	done chan struct{}
	e    *entry
	err  error
}

func (g *flightGroup) do(k cacheKey, f func() (*entry, error)) (*entry, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[cacheKey]*flight{}
	}
	if c, ok := g.m[k]; ok {
		g.mu.Unlock()
		<-c.done
		return c.e, c.err
	}
	c := &flight{done: make(chan struct{})}
	g.m[k] = c
	g.mu.Unlock()
	c.e, c.err = f()
	close(c.done)
	g.mu.Lock()
	delete(g.m, k)
	g.mu.Unlock()
	return c.e, c.err
}
