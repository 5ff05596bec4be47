package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrBadRequest is wrapped by every problem found in a request head.
var ErrBadRequest = errors.New("bad request")

// HeadError is a request head the proxy refuses, with the status to answer.
type HeadError struct {
	Status int
	Reason string
}

func (e *HeadError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Reason) }

// Unwrap makes every HeadError an ErrBadRequest.
func (e *HeadError) Unwrap() error { return ErrBadRequest }

func headErr(status int, format string, args ...any) *HeadError {
	return &HeadError{Status: status, Reason: fmt.Sprintf(format, args...)}
}

// maxRequestLine bounds the request line alone (414 beyond).
const maxRequestLine = 8 << 10

// CheckHead validates a raw request head (request line and headers, up to
// and including the blank line) before net/http parses it. net/http is
// lenient where a proxy must not be: it accepts bare LF line ends, drops
// Content-Length when Transfer-Encoding is present and merges duplicate
// lengths. A proxy that forwards such a request may frame it differently
// from the next hop (request smuggling), so CheckHead refuses:
//   - a request line that is not METHOD SP TARGET SP HTTP/1.x (400, 414,
//     505);
//   - bare CR or LF, obsolete line folding, control characters, a space
//     before a header's colon, a header name that is not a token (400);
//   - Content-Length together with Transfer-Encoding, more than one
//     Content-Length, a length that is not a number (400);
//   - a Transfer-Encoding other than chunked (501), or on HTTP/1.0 (400);
//   - no Host, or more than one, on HTTP/1.1 (400).
func CheckHead(head []byte) error {
	line, rest, ok := cutCRLF(head)
	if !ok {
		return headErr(400, "request line does not end in CRLF")
	}
	if len(line) > maxRequestLine {
		return headErr(414, "request line longer than %d bytes", maxRequestLine)
	}
	version, err := checkRequestLine(line)
	if err != nil {
		return err
	}
	var nCL, nTE, nHost int
	var te string
	for {
		var h []byte
		h, rest, ok = cutCRLF(rest)
		if !ok {
			return headErr(400, "header line does not end in CRLF")
		}
		if len(h) == 0 {
			break
		}
		if h[0] == ' ' || h[0] == '\t' {
			return headErr(400, "obsolete header line folding")
		}
		colon := bytes.IndexByte(h, ':')
		if colon <= 0 {
			return headErr(400, "header line without a name and colon")
		}
		name := h[:colon]
		for _, c := range name {
			if !isTokenChar(c) {
				if c == ' ' || c == '\t' {
					return headErr(400, "white space before a header's colon")
				}
				return headErr(400, "header name is not a token")
			}
		}
		value := bytes.Trim(h[colon+1:], " \t")
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return headErr(400, "control character in header %s", name)
			}
		}
		switch {
		case asciiEqualFold(name, "Content-Length"):
			nCL++
			if nCL > 1 {
				return headErr(400, "more than one Content-Length")
			}
			if len(value) == 0 || len(value) > 18 {
				return headErr(400, "bad Content-Length")
			}
			for _, c := range value {
				if c < '0' || c > '9' {
					return headErr(400, "bad Content-Length")
				}
			}
		case asciiEqualFold(name, "Transfer-Encoding"):
			nTE++
			te = string(value)
		case asciiEqualFold(name, "Host"):
			nHost++
		}
	}
	if len(rest) != 0 {
		return headErr(400, "bytes after the end of the head")
	}
	if nTE > 0 {
		if nCL > 0 {
			return headErr(400, "both Content-Length and Transfer-Encoding")
		}
		if version == "HTTP/1.0" {
			return headErr(400, "Transfer-Encoding on HTTP/1.0")
		}
		if nTE > 1 || !strings.EqualFold(te, "chunked") {
			return headErr(501, "Transfer-Encoding other than chunked")
		}
	}
	if nHost > 1 {
		return headErr(400, "more than one Host")
	}
	if nHost == 0 && version == "HTTP/1.1" {
		return headErr(400, "HTTP/1.1 request without Host")
	}
	return nil
}

func checkRequestLine(line []byte) (version string, err error) {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return "", headErr(400, "malformed request line")
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 <= 0 {
		return "", headErr(400, "malformed request line")
	}
	sp2 += sp1 + 1
	m, t, v := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	for _, c := range m {
		if !isTokenChar(c) {
			return "", headErr(400, "method is not a token")
		}
	}
	for _, c := range t {
		if c <= ' ' || c >= 0x7f {
			return "", headErr(400, "request target holds spaces or control characters")
		}
	}
	switch string(v) {
	case "HTTP/1.1", "HTTP/1.0":
	default:
		if bytes.HasPrefix(v, []byte("HTTP/")) && len(v) == 8 && v[5] >= '0' && v[5] <= '9' && v[6] == '.' && v[7] >= '0' && v[7] <= '9' {
			return "", headErr(http.StatusHTTPVersionNotSupported, "HTTP version not supported")
		}
		return "", headErr(400, "malformed HTTP version")
	}
	return string(v), nil
}

// cutCRLF splits off one line that must end in CRLF; a lone CR or LF
// anywhere in the line is an error (ok false).
func cutCRLF(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	line = b[:i-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, nil, false
	}
	return line, b[i+1:], true
}

func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// headEnd returns the length of the head in b (through CRLF CRLF), or -1.
func headEnd(b []byte) int {
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return -1
	}
	return i + 4
}
