package dnsfilter

import (
	"strings"
	"time"

	"github.com/miekg/dns"

	"schoolgate/internal/policy"
)

// stageDecide asks the policy engine about the query name, exactly as the
// proxy asks about a URL's host. Blocked names are answered here:
//   - illegal categories per dns.illegal_response (default NXDOMAIN),
//     never the block page's click-through;
//   - warn and permission verdicts at the block page, where the user can
//     click through or ask;
//   - other blocks per dns.block_response.
//
// Every answer carries an Extended DNS Error: 15 "Blocked" for illegal
// content (operator policy for everyone), 17 "Filtered" for the group's
// rules.
func stageDecide(s *Server, r *request) action {
	if r.noPolicy {
		return next
	}
	v := r.v
	r.ovs = s.engine.Overrides()
	r.d = r.decide(r.name)
	r.decided = true
	d := &r.d
	switch {
	case d.Illegal:
		return r.block(v.illegalMode, resIllegal, edeBlocked, v.catText(d, func(c *catInfo) string { return c.illegal }))
	case d.Verdict == policy.Warn:
		return r.block("blockpage", resBlocked, edeFiltered, v.catText(d, func(c *catInfo) string { return c.warn }))
	case d.NeedsPermission:
		return r.block("blockpage", resBlocked, edeFiltered, v.catText(d, func(c *catInfo) string { return c.perm }))
	case d.Suspended():
		// A sanction: until when, never why.
		return r.block(v.blockMode, resBlocked, edeFiltered, "access suspended until "+d.Override.Until.In(v.snap.Location()).Format("2 Jan 2006 15:04"))
	case d.Verdict == policy.Block:
		return r.block(v.blockMode, resBlocked, edeFiltered, v.catText(d, func(c *catInfo) string { return c.block }))
	}
	return next
}

// decide asks the policy about host for the client asking, and caps the
// answer's TTL at the moment that decision may change (Until).
func (r *request) decide(host string) policy.Decision {
	q := policy.Query{Host: host, User: r.user, Client: r.client.Addr(), Groups: r.groups, At: r.now, Overrides: r.ovs}
	d := r.v.snap.Decide(&q)
	if !d.Until.IsZero() {
		left := d.Until.Sub(r.now)
		secs := uint32(0)
		if left > 0 {
			secs = uint32(min(left/time.Second, noCap))
		}
		r.ttlCap = min(r.ttlCap, secs)
	}
	return d
}

// catText picks the EDE text of the deciding category.
func (v *view) catText(d *policy.Decision, f func(*catInfo) string) string {
	if d.Category >= 0 && d.Category < len(v.cats) {
		return f(&v.cats[d.Category])
	}
	return "blocked by school policy"
}

// block answers a blocked name in the given mode.
func (r *request) block(mode string, res result, ede uint16, text string) action {
	ttl := min(r.ttlCap, r.v.maxTTL)
	var zero [16]byte
	switch mode {
	case "nxdomain":
		return r.reply(dns.RcodeNameError, res, ede, text)
	case "null":
		if r.qtype == dns.TypeAAAA {
			return r.answerAddr(zero[:], ttl, res, ede, text)
		}
		return r.answerAddr(zero[:4], ttl, res, ede, text)
	}
	if r.qtype == dns.TypeAAAA {
		return r.answerAddr(r.v.v6, ttl, res, ede, text)
	}
	return r.answerAddr(r.v.v4, ttl, res, ede, text)
}

// cloaked decides the names an answer's CNAMEs point to, as the client
// asking: an allowed name that is an alias of a blocked or illegal one
// (CNAME cloaking, or a mirror of a blocked site behind a harmless name)
// is answered as that name would be. The block page would judge the name
// asked, which is allowed, so such a block is never sent there: it gets
// NXDOMAIN in blockpage mode. The event logged is the target's decision,
// its rule naming the target (unless illegal: those never name an entry).
// Each target's decision caps the TTL as the name asked's does: an alias
// of a name allowed until 15:00 is not cached past 15:00.
func (r *request) cloaked(e *entry) (action, bool) {
	for _, name := range e.cnames {
		if name == r.name {
			continue
		}
		d := r.decide(name)
		if d.Verdict == policy.Allow && !d.Illegal {
			continue
		}
		r.d, r.via = d, name
		mode, res, ede := r.v.blockMode, resBlocked, uint16(edeFiltered)
		text := "an alias of a name blocked by school policy"
		if d.Illegal {
			mode, res, ede = r.v.illegalMode, resIllegal, edeBlocked
			text = "an alias of a blocked name"
		}
		if mode == "blockpage" {
			mode = "nxdomain"
		}
		return r.block(mode, res, ede, text), true
	}
	return done, false
}

// cnameTargets lists the targets of an answer's CNAME records (nil when
// it has none, as most have).
func cnameTargets(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		if c, ok := rr.(*dns.CNAME); ok {
			out = append(out, strings.ToLower(strings.TrimSuffix(c.Target, ".")))
		}
	}
	return out
}
