package proxy

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/probe"
	"schoolgate/internal/proxy/pages"
)

// stageIdentify sets the visitor, or answers when proxy.auth refuses. A
// self-test probe (a header with a token the node signed, from loopback)
// is the group or test user it names; the header is never passed on.
func stageIdentify(c *conn, r *request) action {
	if tok := r.req.Header.Get(probe.Header); tok != "" {
		r.req.Header.Del(probe.Header)
		if c.tunnel == nil {
			if w, ok := c.s.d.Probes.Who(r.req.Context(), c.s.d.Engine.Snapshot(), c.s.d.Identity, c.client, tok); ok {
				r.v, r.probed = visitor(w, c.client), true
				return next
			}
		}
	}
	v, ok := c.identify(r.req)
	if !ok {
		return r.answered(c.drain(r.req))
	}
	r.v = v
	return next
}

// identify says who is asking: with proxy.auth basic the checked user
// (answering 407, 429 or 503 and returning false otherwise); else whoever
// the identity resolver says is at the client's address. A tunnel's
// requests are its CONNECT's visitor.
func (c *conn) identify(req *http.Request) (pages.Visitor, bool) {
	if c.tunnel != nil {
		return c.tunnel.v, true
	}
	snap := c.s.d.Engine.Snapshot()
	if !c.set.basic {
		return visitor(c.s.d.Identity.Client(req.Context(), snap, c.client), c.client), true
	}
	v := pages.Visitor{Client: c.client}
	u, err := c.s.auth.check(req.Context(), c.client, req.Header.Get("Proxy-Authorization"), c.set.sessionTTL)
	switch {
	case err == nil:
		return visitor(c.s.d.Identity.User(req.Context(), snap, u.Username, c.client, u), c.client), true
	case errors.Is(err, identity.ErrRateLimited):
		c.s.m.failed(errLoginLimited)
		c.s.d.Log.Warn("proxy: log-in attempts rate-limited")
		c.writeSimple(req, http.StatusTooManyRequests, "Too many wrong passwords: wait a minute and try again.", http.Header{"Retry-After": {"60"}})
		return v, false
	case errors.Is(err, identity.ErrSignInEnded):
		// Ended by staff: 407 so the browser asks again (another person
		// may log in now), with why; nobody is named in the log.
		c.s.m.failed(errAuthRequired)
		c.s.d.Log.Info("proxy: log-in refused", "reason", "sign-in ended by staff")
		msg := "A member of staff ended your log-in on this device. Someone else can log in here now; you can log in here again later, or on another device now."
		var ended *identity.SignInEndedError
		if errors.As(err, &ended) {
			msg = "A member of staff ended your log-in on this device. Someone else can log in here now; you can log in here again after " +
				ended.Until.In(snap.Location()).Format("15:04 on 2 January") + ", or on another device now."
		}
		c.writeSimple(req, http.StatusProxyAuthRequired, msg,
			http.Header{"Proxy-Authenticate": {`Basic realm="` + strings.ReplaceAll(c.set.realm, `"`, "'") + `", charset="UTF-8"`}})
		return v, false
	case errors.Is(err, identity.ErrBusy):
		c.s.m.failed(errLoginLimited)
		c.writeSimple(req, http.StatusServiceUnavailable, "Too many log-ins at once: try again in a moment.", http.Header{"Retry-After": {"2"}})
		return v, false
	}
	if !errors.Is(err, errNoCredentials) {
		// Who tried is not logged, only the kind of failure (a
		// directory error's text may name the account).
		reason := "directory error"
		switch {
		case errors.Is(err, identity.ErrBadCredentials):
			reason = "wrong username or password"
		case errors.Is(err, identity.ErrDisabled):
			reason = "account disabled"
		}
		c.s.d.Log.Info("proxy: log-in failed", "reason", reason)
	}
	c.s.m.failed(errAuthRequired)
	c.writeSimple(req, http.StatusProxyAuthRequired, "Log in with your school username and password.",
		http.Header{"Proxy-Authenticate": {`Basic realm="` + strings.ReplaceAll(c.set.realm, `"`, "'") + `", charset="UTF-8"`}})
	return v, false
}

func visitor(w identity.Who, client netip.Addr) pages.Visitor {
	return pages.Visitor{Client: client, User: w.User, Groups: w.Groups, Portal: w.Portal}
}

// VisitorFunc identifies the client of a block-page listener request
// through the identity resolver.
func VisitorFunc(engine *policy.Engine, id *identity.Resolver) func(*http.Request) pages.Visitor {
	return func(r *http.Request) pages.Visitor {
		var client netip.Addr
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			client = ap.Addr().Unmap()
		}
		return visitor(id.Client(r.Context(), engine.Snapshot(), client), client)
	}
}
