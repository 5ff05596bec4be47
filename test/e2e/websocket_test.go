package e2e

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// wsPage is a page whose script opens a WebSocket back to its own host,
// sends a message and shows the answer.
const wsPage = `<!doctype html><title>ws</title><p id="out">waiting</p><script>
const ws = new WebSocket("wss://" + location.host + "/ws");
ws.onopen = () => ws.send("hello from chromium");
ws.onmessage = (e) => { document.getElementById("out").textContent = e.data; };
ws.onerror = () => { document.getElementById("out").textContent = "error"; };
</script>`

// wsEcho is a minimal RFC 6455 server: the handshake, then each text frame
// from the client (masked) is answered with "ECHO: " and the text in
// upper case.
func wsEcho(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "not a WebSocket handshake", http.StatusBadRequest)
		return
	}
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	c, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:]))
	brw.Flush()
	for {
		op, text, err := wsReadFrame(brw.Reader)
		if err != nil || op == 8 { // an error or a close frame
			return
		}
		reply := "ECHO: " + strings.ToUpper(string(text))
		brw.Write(append([]byte{0x81, byte(len(reply))}, reply...)) // short unmasked text frame
		brw.Flush()
	}
}

// wsReadFrame reads one client frame and unmasks its payload.
func wsReadFrame(br *bufio.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<16 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	var mask [4]byte
	if h[1]&0x80 != 0 {
		if _, err := io.ReadFull(br, mask[:]); err != nil {
			return 0, nil, err
		}
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		return 0, nil, err
	}
	for i := range p {
		p[i] ^= mask[i%4]
	}
	return h[0] & 0x0f, p, nil
}

// TestWebSocketChromium: headless Chromium, as a pupil whose HTTPS is
// inspected, loads a page that talks to its site over wss://. The
// WebSocket's handshake is decided and relayed through the inspected
// tunnel, and the frames pass both ways.
func TestWebSocketChromium(t *testing.T) {
	chromium := needTool(t, "chromium", "chromium")
	o := proxyStartOrigins(t)
	in := proxyStart(t, "  connect_ports: [443, "+o.https+"]\n  inspect: [pupils]\n", "", "SSL_CERT_FILE="+o.caFile)
	// The school CA is not installed in the throwaway profile.
	ctx := startChromium(t, chromium, in.proxy, chromedp.Flag("ignore-certificate-errors", true))
	tctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(tctx, chromedp.Navigate("https://ok.test:"+o.https+"/ws-page")); err != nil {
		t.Fatalf("navigate: %v\n%s", err, in.logText())
	}
	var got string
	for deadline := time.Now().Add(15 * time.Second); ; {
		s, err := chromedp.Run(tctx, chromedp.Text(chromedp.ID("out")))
		if err != nil {
			t.Fatalf("read the page: %v", err)
		}
		if got = strings.TrimSpace(s); got != "waiting" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got != "ECHO: HELLO FROM CHROMIUM" {
		t.Fatalf("the page's WebSocket got %q\n%s", got, in.logText())
	}
	// Counted only when the proxy relays the upgrade itself, so this also
	// shows the tunnel was inspected (the browser ignores certificates).
	if body := fetchMetrics(t, in.admin); !strings.Contains(body, "schoolgate_proxy_websockets_total 1") {
		t.Errorf("the WebSocket is not counted:\n%s", grepLines(body, "websocket"))
	}
}
