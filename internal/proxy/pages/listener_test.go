package pages

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

type countRequests struct{ n atomic.Int64 }

func (c *countRequests) CreateRequest(context.Context, Request) (int64, error) {
	return c.n.Add(1), nil
}

// TestBlockPageFormsServeTheSchoolOnly: the block-page listener's forms
// take posts from dns.allow_networks (by default loopback and the groups'
// networks, 10.0.0.0/8 here) and refuse anyone else with 403, storing
// nothing.
func TestBlockPageFormsServeTheSchoolOnly(t *testing.T) {
	reqs := &countRequests{}
	p, err := New(Options{Engine: testEngine(t), Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	h := p.BlockPageHandler(func(r *http.Request) Visitor {
		ap, _ := netip.ParseAddrPort(r.RemoteAddr)
		return Visitor{Client: ap.Addr(), Groups: p.o.Engine.Snapshot().GroupsForIP(ap.Addr())}
	})
	post := func(from string) int {
		// A genuine form: the page's token for this device, posted to the
		// block page's own address.
		addr := netip.MustParseAddr(from)
		page := "http://bet.test/"
		form := url.Values{"url": {page}, "reason": {"homework"}, "token": {p.token("request", Visitor{Client: addr}, page)}}
		r := httptest.NewRequest("POST", p.formURL().String()+strings.TrimPrefix(Prefix, "/")+"request", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.RemoteAddr = net.JoinHostPort(from, "40000")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for _, from := range []string{"203.0.113.9", "192.168.1.5", "2001:db8::5"} {
		if code := post(from); code != http.StatusForbidden {
			t.Errorf("form from %s: %d, want 403", from, code)
		}
	}
	if n := reqs.n.Load(); n != 0 {
		t.Fatalf("%d requests stored from outside", n)
	}
	for _, from := range []string{"10.1.2.3", "127.0.0.1", "::ffff:10.1.2.4"} {
		if code := post(from); code != http.StatusOK {
			t.Errorf("form from %s: %d, want 200", from, code)
		}
	}
	if n := reqs.n.Load(); n != 3 {
		t.Errorf("%d requests stored, want 3", n)
	}
}
