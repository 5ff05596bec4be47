package dnsfilter

import (
	"maps"
	"sync"
	"sync/atomic"
)

// cowMap is a small read-mostly map: readers load an immutable map with
// one atomic read (no lock, no shared write), writers copy it. It suits
// facts derived once per shape of query (group sets, decisions) of which
// a policy has few; beyond limit entries new ones are not kept.
type cowMap[K comparable, V any] struct {
	mu    sync.Mutex
	m     atomic.Pointer[map[K]V]
	limit int
}

func (c *cowMap[K, V]) get(k K) (V, bool) {
	if p := c.m.Load(); p != nil {
		v, ok := (*p)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

func (c *cowMap[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[K]V{}
	if p := c.m.Load(); p != nil {
		if len(*p) >= c.limit {
			return
		}
		maps.Copy(next, *p)
	}
	next[k] = v
	c.m.Store(&next)
}
