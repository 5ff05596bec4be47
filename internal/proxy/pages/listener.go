package pages

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// BlockPageHandler serves the block-page listener (blockpage.listen, the
// address dns.blockpage_ipv4 points at): /proxy.pac and /wpad.dat, the
// sign-in page's /signin and /signout, the sign-in page for every request
// of a client that must sign in first (portal.go), the forms under
// Prefix, and for any other request the block or warning page for the
// name in its Host header.
func (p *Pages) BlockPageHandler(identify func(*http.Request) Visitor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/proxy.pac" || r.URL.Path == "/wpad.dat" {
			p.PAC(w, r)
			return
		}
		v := identify(r)
		if v.Portal || IsPortalPath(r.URL.Path) {
			p.portalListener(w, r, v)
			return
		}
		if strings.HasPrefix(r.URL.Path, Prefix) {
			if !p.formClient(v.Client) {
				// The listener may face the internet (it is where
				// blocked names point): its forms, which store
				// requests and concerns, serve the school only.
				p.o.Log.Warn("blockpage: form refused from outside dns.allow_networks")
				p.message(w, http.StatusForbidden, p.school(), "Not allowed", "This form serves the school's own networks only.")
				return
			}
			p.Serve(w, r, v)
			return
		}
		school := p.school()
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		raw := "http://" + r.Host + r.URL.RequestURI()
		t, d, snap, err := p.decide(v, raw)
		if err != nil || host == "" {
			p.message(w, http.StatusBadRequest, school, "Blocked by the school's filter", "This address is the school's block page.")
			return
		}
		if d.Verdict == policy.Allow {
			p.message(w, http.StatusOK, school, "Not blocked", "This site is not blocked for you. Your device may still remember the old answer: wait a minute and reload.")
			return
		}
		ref := newRef()
		// Who was shown what goes to the activity log (with its
		// retention), found by the reference; the system log keeps neither.
		p.logEvent(snap, v, &d, t.Host, raw, "blockpage", ref)
		p.o.Log.Debug("blockpage: shown", "ref", ref, "rule", snap.Rule(&d))
		p.Blocked(w, r, v, Blocked{URL: raw, Host: t.Host, Decision: d, Snapshot: snap, Ref: ref})
	})
}

// portalListener answers the sign-in page's requests: every request of
// a client that must sign in first, and /signin and /signout for anyone.
// Like the forms, it serves only dns.allow_networks.
func (p *Pages) portalListener(w http.ResponseWriter, r *http.Request, v Visitor) {
	if !p.formClient(v.Client) {
		p.o.Log.Warn("blockpage: sign-in page refused from outside dns.allow_networks")
		p.message(w, http.StatusForbidden, p.school(), "Not allowed", "This page serves the school's own networks only.")
		return
	}
	if v.Portal {
		p.Portal(w, r, v)
		return
	}
	p.PortalForm(w, r, v)
}

// newRef makes a reference number a pupil can read out to staff.
func newRef() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "SG-" + hex.EncodeToString(b[:])
}

// formClient reports whether client may post the block-page listener's
// forms: it is in dns.allow_networks (by default loopback and the groups'
// networks). Without an engine nothing is refused.
func (p *Pages) formClient(client netip.Addr) bool {
	if p.o.Engine == nil {
		return true
	}
	return config.ContainsAddr(p.o.Engine.Snapshot().Config().DNSClients(), client)
}
