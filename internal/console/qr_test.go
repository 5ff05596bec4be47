package console

import (
	"html"
	"image"
	"image/color"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	qr "github.com/piglig/go-qr"
)

var (
	qrViewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	qrPath    = regexp.MustCompile(`<path fill="#000" d="([^"]*)"`)
	qrRun     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// rasterQR paints the SVG qrSVG drew (its white square and its runs of
// dark modules), scale pixels a module, so a decoder can read it back.
func rasterQR(t *testing.T, svg string, scale int) image.Image {
	t.Helper()
	vb := qrViewBox.FindStringSubmatch(svg)
	p := qrPath.FindStringSubmatch(svg)
	if vb == nil || p == nil {
		t.Fatalf("not a QR SVG: %.200s", svg)
	}
	side, _ := strconv.Atoi(vb[1])
	img := image.NewGray(image.Rect(0, 0, side*scale, side*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	runs := qrRun.FindAllStringSubmatch(p[1], -1)
	if strings.Join(flatten(runs), "") != p[1] || len(runs) == 0 {
		t.Fatalf("the path holds more than runs of modules: %.200s", p[1])
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

func flatten(runs [][]string) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r[0]
	}
	return out
}

// TestQRRoundTrip: the SVG drawn for an otpauth URI decodes back to the
// URI, and holds nothing but numbers (no text of the URI).
func TestQRRoundTrip(t *testing.T) {
	for _, uri := range []string{
		"otpauth://totp/Schoolgate:r-dsl?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Schoolgate&algorithm=SHA1&digits=6&period=30",
		"otpauth://totp/St%20Mary%27s%20C%20of%20E%20Primary:a.very.long.username?secret=MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK&issuer=St%20Mary%27s",
	} {
		svg, err := qrSVG(uri)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(svg), "secret") || strings.Contains(string(svg), "otpauth") {
			t.Errorf("the SVG carries the text: %.200s", svg)
		}
		got, err := qr.Decode(rasterQR(t, string(svg), 4))
		if err != nil || got != uri {
			t.Errorf("decoded %q (%v), want %q", got, err, uri)
		}
	}
}

// TestEnrolShowsQR: the enrolment page shows a QR code of the otpauth
// link it prints, drawn inline (no script, no image request).
func TestEnrolShowsQR(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.people()
	b := f.browser()
	st, _, body := b.do("POST", "/login", url.Values{"username": {"r-dsl"}, "password": {testPassword}})
	if st != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", st, body)
	}
	st, _, body = b.do("GET", "/totp/enrol", nil)
	if st != http.StatusOK {
		t.Fatalf("enrol: %d", st)
	}
	m := regexp.MustCompile(`class="uri">([^<]+)<`).FindStringSubmatch(body)
	i := strings.Index(body, `<svg class="qr"`)
	if m == nil || i < 0 || strings.Contains(body, "<script") {
		t.Fatalf("no QR code and link on the page:\n%s", body)
	}
	end := strings.Index(body[i:], "</svg>")
	got, err := qr.Decode(rasterQR(t, body[i:i+end], 4))
	if want := html.UnescapeString(m[1]); err != nil || got != want {
		t.Errorf("the page's QR code reads %q (%v), its link is %q", got, err, want)
	}
}
