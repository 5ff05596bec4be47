package pages

import (
	"sync"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
)

// formLimits are the block page's limits on stored forms
// (blockpage.rate_limit): so many requests, and so many concerns, per
// window from one client address and from one person. They are rebuilt
// when the policy changes them.
type formLimits struct {
	cfg      config.FormLimit
	requests *identity.FailureLimiter
	concerns *identity.FailureLimiter
}

// limiter keeps the current formLimits; its mutex makes a check and its
// count one step, so that a burst cannot slip past between them.
type limiter struct {
	mu  sync.Mutex
	cur *formLimits
}

// allowForm counts a form of action ("request" or "concern") from v and
// reports whether it is within the limits, and if not, how long until it
// would be.
func (p *Pages) allowForm(action string, v Visitor) (bool, time.Duration) {
	cfg := p.o.Engine.Snapshot().Config().BlockPage.RateLimit
	l := &p.limit
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil || l.cur.cfg != cfg {
		l.cur = &formLimits{
			cfg:      cfg,
			requests: identity.NewFailureLimiter(cfg.Requests, cfg.Window.D(), identity.Clock(p.o.Now)),
			concerns: identity.NewFailureLimiter(cfg.Concerns, cfg.Window.D(), identity.Clock(p.o.Now)),
		}
	}
	fl := l.cur.requests
	if action == "concern" {
		fl = l.cur.concerns
	}
	keys := []string{"ip:" + v.Client.Unmap().String()}
	if v.User != "" {
		keys = append(keys, "user:"+v.User)
	}
	for _, k := range keys {
		if blocked, wait := fl.Blocked(k); blocked {
			return false, wait
		}
	}
	for _, k := range keys {
		fl.Fail(k)
	}
	return true, 0
}
