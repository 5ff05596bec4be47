package dnsfilter

import (
	"net/netip"
	"sync"
	"time"
)

// stageRateLimit drops queries from a client over dns.rate_limit queries
// a second (a token bucket with one second of burst). Off by default:
// a school's clients often share one NAT address. UDP floods are dropped
// silently (answering would help a reflection attack); TCP gets REFUSED.
func stageRateLimit(s *Server, r *request) action {
	l := r.v.limit
	if l == nil || l.allow(r.client.Addr(), r.start) {
		return next
	}
	if r.tcp {
		return r.reply(5, resRateLimited, edeBlocked, "rate limited")
	}
	r.res = resRateLimited
	return done
}

const limiterShards = 16

// limiter is a per-client token bucket, sharded to keep lock contention
// low.
type limiter struct {
	rate   float64
	shards [limiterShards]limiterShard
}

type limiterShard struct {
	mu sync.Mutex
	m  map[netip.Addr]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBucketsPerShard bounds memory under a spoofed-source flood; idle
// full buckets are swept first.
const maxBucketsPerShard = 1 << 14

func newLimiter(qps int) *limiter {
	l := &limiter{rate: float64(qps)}
	for i := range l.shards {
		l.shards[i].m = map[netip.Addr]*bucket{}
	}
	return l
}

func (l *limiter) allow(ip netip.Addr, now time.Time) bool {
	ip = ip.Unmap()
	var h byte
	for _, b := range ip.AsSlice() {
		h ^= b
	}
	sh := &l.shards[h%limiterShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.m[ip]
	if !ok {
		if len(sh.m) >= maxBucketsPerShard {
			l.sweep(sh, now)
		}
		b = &bucket{tokens: l.rate, last: now}
		sh.m[ip] = b
	}
	b.tokens = min(l.rate, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops buckets that have refilled (their clients went quiet), and
// if none had, an arbitrary half.
func (l *limiter) sweep(sh *limiterShard, now time.Time) {
	for ip, b := range sh.m {
		if now.Sub(b.last) > time.Second {
			delete(sh.m, ip)
		}
	}
	for ip := range sh.m {
		if len(sh.m) < maxBucketsPerShard/2 {
			break
		}
		delete(sh.m, ip)
	}
}
