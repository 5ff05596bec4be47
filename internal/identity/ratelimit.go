package identity

import (
	"sync"
	"time"
)

// FailureLimiter counts failed log-ins per key (a client address, an
// account) and refuses a key that failed Max times within Window until the
// window has passed. It is safe for concurrent use and bounded in memory.
type FailureLimiter struct {
	Max    int
	Window time.Duration
	now    Clock

	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n     int
	first time.Time
}

// maxLimiterKeys bounds the map; beyond it expired keys are swept, then
// keys taken at random (map order) are dropped.
const maxLimiterKeys = 100_000

// NewFailureLimiter makes a limiter; now may be nil (time.Now).
func NewFailureLimiter(max int, window time.Duration, now Clock) *FailureLimiter {
	if now == nil {
		now = time.Now
	}
	return &FailureLimiter{Max: max, Window: window, now: now, m: map[string]*failures{}}
}

// Blocked reports whether key is refused now and for how long.
func (l *FailureLimiter) Blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.m[key]
	if !ok {
		return false, 0
	}
	now := l.now()
	end := f.first.Add(l.Window)
	if !now.Before(end) {
		delete(l.m, key)
		return false, 0
	}
	if f.n >= l.Max {
		return true, end.Sub(now)
	}
	return false, 0
}

// Fail records a failure for key.
func (l *FailureLimiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.m[key]
	if !ok || !now.Before(f.first.Add(l.Window)) {
		if len(l.m) >= maxLimiterKeys {
			l.sweepLocked(now)
		}
		l.m[key] = &failures{n: 1, first: now}
		return
	}
	f.n++
}

// Reset forgets key's failures (after a successful log-in).
func (l *FailureLimiter) Reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

func (l *FailureLimiter) sweepLocked(now time.Time) {
	for k, f := range l.m {
		if !now.Before(f.first.Add(l.Window)) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < maxLimiterKeys {
			break
		}
		delete(l.m, k)
	}
}
