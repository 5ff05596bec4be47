package proxy

import (
	"net/http"
	"testing"
)

// BenchmarkRemoveHop strips the hop-by-hop headers of a browser's request
// (Firefox sends Connection: keep-alive, curl Proxy-Connection), as
// forward does for every request it relays. Refilling the header
// allocates nothing, so allocs/op is removeHop's.
func BenchmarkRemoveHop(b *testing.B) {
	conn, pconn := []string{"keep-alive"}, []string{"Keep-Alive"}
	h := http.Header{"Host": {"www.example.test"}, "Accept": {"text/html"}}
	b.ReportAllocs()
	for b.Loop() {
		h["Connection"], h["Proxy-Connection"] = conn, pconn
		removeHop(h)
		if len(h) != 2 {
			b.Fatal(h)
		}
	}
}

// TestRemoveHop: every name in every Connection value goes, in any case
// and with any spacing, as do the fixed hop-by-hop headers; the rest stay.
func TestRemoveHop(t *testing.T) {
	h := http.Header{
		"Connection":       {"keep-alive, X-One,\tx-two ", ",, UPGRADE"},
		"Proxy-Connection": {"Keep-Alive"},
		"Keep-Alive":       {"timeout=5"},
		"Upgrade":          {"websocket"},
		"Te":               {"trailers"},
		"X-One":            {"1"},
		"X-Two":            {"2"},
		"X-Three":          {"3"},
		"Accept":           {"text/html"},
	}
	removeHop(h)
	if len(h) != 2 || h.Get("X-Three") != "3" || h.Get("Accept") != "text/html" {
		t.Errorf("after removeHop: %v, want only X-Three and Accept", h)
	}
	for _, v := range []string{"Upgrade, keep-alive", "keep-alive,upgrade", "upgrade"} {
		if got := websocketUpgrade(http.Header{"Connection": {v}, "Upgrade": {" WebSocket "}}); got != "WebSocket" {
			t.Errorf("Connection %q: websocketUpgrade = %q, want WebSocket", v, got)
		}
	}
	if got := websocketUpgrade(http.Header{"Connection": {"websocket"}, "Upgrade": {"websocket"}}); got != "" {
		t.Errorf("Connection without upgrade: websocketUpgrade = %q, want \"\"", got)
	}
}
