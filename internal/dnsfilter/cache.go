package dnsfilter

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// stageCache answers from the cache. The cache is shared by every client:
// it holds upstream answers only (already free of ECH configs), never a
// decision, so it sits after every per-client stage.
func stageCache(s *Server, r *request) action {
	e := s.cache.get(cacheKey{name: r.name, qtype: r.qtype, flags: r.keyFlags()}, r.start)
	if e == nil {
		s.m.cacheMisses.Inc()
		return next
	}
	s.m.cacheHits.Inc()
	r.cached = true
	return r.answerEntry(e)
}

// cacheKey identifies an upstream answer: name, type and the DO and CD
// bits (they change what an upstream returns).
type cacheKey struct {
	name  string
	qtype uint16
	flags uint8
}

func (r *request) keyFlags() uint8 {
	var f uint8
	if r.do {
		f |= 1
	}
	if r.cd {
		f |= 2
	}
	return f
}

// entry is one cached answer in wire form, without OPT record and with ID
// 0, and where its TTLs are so that rendering can age and cap them in
// place.
type entry struct {
	wire    []byte
	ttlOff  []uint16
	ttls    []uint32
	stored  time.Time
	expires time.Time
	qlen    int
	// cnames are the names the answer's CNAME records point to (lower
	// case, no trailing dot), decided like the name asked: an allowed
	// name that is an alias of a blocked one is blocked (cloaking).
	cnames []string
}

const (
	cacheShards = 64
	// maxCacheTTL bounds how long any answer is kept (a day, as BIND).
	maxCacheTTL = 86400
)

// cache is a bounded, sharded map of answers. When a shard is full an
// expired entry is evicted if one is found quickly, else an arbitrary one
// (Go's randomised map order): cheap and good enough for DNS, where
// popular names are asked again at once.
type cache struct {
	seed     maphash.Seed
	perShard int
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[cacheKey]*entry
}

func newCache(size int) *cache {
	c := &cache{seed: maphash.MakeSeed(), perShard: max(1, (size+cacheShards-1)/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[cacheKey]*entry)
	}
	return c
}

func (c *cache) shard(k cacheKey) *cacheShard {
	return &c.shards[maphash.String(c.seed, k.name)%cacheShards]
}

// get returns the live entry for k, or nil.
func (c *cache) get(k cacheKey, now time.Time) *entry {
	sh := c.shard(k)
	sh.mu.RLock()
	e := sh.m[k]
	sh.mu.RUnlock()
	if e == nil || !now.Before(e.expires) {
		return nil
	}
	return e
}

func (c *cache) put(k cacheKey, e *entry) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[k]; !ok && len(sh.m) >= c.perShard {
		victim, looked := cacheKey{}, 0
		for kk, ee := range sh.m {
			victim = kk
			if looked++; !e.stored.Before(ee.expires) || looked >= 8 {
				break
			}
		}
		delete(sh.m, victim)
	}
	sh.m[k] = e
}

// len is the number of entries held.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}

// newEntry prepares an upstream answer for the cache: ECH configs and the
// OPT record removed, packed once. ttl is how long it may be cached (0:
// not at all): the smallest TTL for a positive answer, and for NXDOMAIN
// or NODATA the SOA's TTL bounded by its MINIMUM (RFC 2308).
func newEntry(m *dns.Msg, now time.Time) (*entry, uint32, error) {
	stripECH(m)
	stripOPT(m)
	ttl := cacheTTL(m)
	if m.Rcode == dns.RcodeNameError || len(m.Answer) == 0 {
		// Downstream caches read the negative TTL from the SOA's own TTL.
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
			}
		}
	}
	m.Id = 0
	m.Compress = true
	wire, err := m.Pack()
	if err != nil {
		return nil, 0, err
	}
	e := &entry{wire: wire, stored: now, qlen: headerLen, cnames: cnameTargets(m)}
	if off := skipName(wire, headerLen); off > 0 && len(m.Question) == 1 {
		e.qlen = off + 4 - headerLen
	}
	var ok bool
	if e.ttlOff, e.ttls, ok = ttlOffsets(wire, nil, nil); !ok {
		return nil, 0, ErrBadUpstream
	}
	e.expires = now.Add(time.Duration(ttl) * time.Second)
	return e, ttl, nil
}

func cacheTTL(m *dns.Msg) uint32 {
	negative := m.Rcode == dns.RcodeNameError || (m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0)
	if m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
		return 0
	}
	if negative {
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				return min(soa.Hdr.Ttl, soa.Minttl, maxCacheTTL)
			}
		}
		return 0
	}
	ttl := uint32(maxCacheTTL)
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			ttl = min(ttl, rr.Header().Ttl)
		}
	}
	return ttl
}

// age is the whole seconds since e was stored.
func (e *entry) age(now time.Time) uint32 {
	a := now.Sub(e.stored)
	if a <= 0 {
		return 0
	}
	return uint32(a / time.Second)
}

// ageMsg lowers the TTLs of a message unpacked from e by its age.
func (e *entry) ageMsg(m *dns.Msg, now time.Time) {
	age := e.age(now)
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			h := rr.Header()
			h.Ttl -= min(h.Ttl, age)
		}
	}
}

// answerEntry renders a cached answer for r: the client's ID, flags,
// question (in its own letter case), TTLs aged and capped, OPT for EDNS
// clients, and TC with no records when it is too big for UDP.
func (r *request) answerEntry(e *entry) action {
	if len(e.cnames) > 0 && r.decided {
		if act, blocked := r.cloaked(e); blocked {
			return act
		}
	}
	b := append(r.out[:0], e.wire...)
	binary.BigEndian.PutUint16(b, r.id)
	flags := binary.BigEndian.Uint16(b[2:])
	flags &^= flagAA | flagTC | flagRD | flagCD | flagAD
	flags |= flagQR | flagRA
	if r.rd {
		flags |= flagRD
	}
	if r.cd {
		flags |= flagCD
	}
	if (r.do || r.ad) && binary.BigEndian.Uint16(e.wire[2:])&flagAD != 0 {
		flags |= flagAD
	}
	binary.BigEndian.PutUint16(b[2:], flags)
	if len(r.question) == e.qlen {
		copy(b[headerLen:], r.question)
	}
	age := e.age(r.start)
	for i, off := range e.ttlOff {
		t := e.ttls[i]
		t -= min(t, age)
		binary.BigEndian.PutUint32(b[off:], min(t, r.ttlCap))
	}
	r.out = b
	if r.edns {
		binary.BigEndian.PutUint16(b[10:], binary.BigEndian.Uint16(b[10:])+1)
		r.appendOPT(0, 0, "")
	}
	if !r.tcp && len(r.out) > r.maxSize {
		rcode := int(flags & 0xF)
		r.appendHeader(rcode, 1, 0, true)
		r.out = append(r.out, r.question...)
		r.appendOPT(rcode, 0, "")
	}
	r.res = resAllowed
	return done
}
