package console

import (
	"fmt"
	"html/template"
	"strings"

	qr "github.com/piglig/go-qr"
)

// qrBorder is the quiet zone around a QR code, in modules (the standard's
// four).
const qrBorder = 4

// qrSVG draws text as a QR code (medium error correction): an SVG drawn
// on the server, so enrolment needs no script and no image request. Each
// row's runs of dark modules are one path segment; the markup holds only
// numbers, never the text.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return "", fmt.Errorf("console: QR code: %w", err)
	}
	n := code.Size()
	var d strings.Builder
	for y := range n {
		for x := 0; x < n; {
			if !code.Module(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < n && code.Module(x+run, y) {
				run++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", x+qrBorder, y+qrBorder, run, run)
			x += run
		}
	}
	side := n + 2*qrBorder
	return template.HTML(fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="QR code of the link below" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, side, side, side*5, side*5, side, side, d.String())), nil
}
