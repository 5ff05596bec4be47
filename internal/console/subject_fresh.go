package console

import (
	"sync"
	"time"
)

// freshWindow is how long a re-authentication opens the subject-access
// pages.
const freshWindow = 10 * time.Minute

// freshAuth remembers, per console session, when its person last gave a
// fresh code for a sensitive page. Node-local: on another node they are
// asked again, which is the safe side.
type freshAuth struct {
	mu    sync.Mutex
	until map[string]time.Time // session id hash → end of the window
}

func (f *freshAuth) grant(session string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.until == nil {
		f.until = map[string]time.Time{}
	}
	for k, t := range f.until {
		if now.After(t) {
			delete(f.until, k)
		}
	}
	f.until[session] = now.Add(freshWindow)
}

func (f *freshAuth) ok(session string, now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, found := f.until[session]
	return found && session != "" && now.Before(t)
}
