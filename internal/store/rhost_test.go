package store

import (
	"strings"
	"testing"
)

func TestReverseHost(t *testing.T) {
	for in, want := range map[string]string{
		"www.example.com":  "com.example.www.",
		"WWW.Example.COM.": "com.example.www.",
		"example":          "example.",
		"":                 "",
		".":                "",
		"a..b":             "b..a.",
		"10.0.0.1":         "1.0.0.10.",
	} {
		if got := reverseHost(in); got != want {
			t.Errorf("reverseHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostRange(t *testing.T) {
	from, to, ok := hostRange("example.com")
	if !ok || from != "com.example." || to != "com.example/" {
		t.Fatalf("hostRange: %q %q %v", from, to, ok)
	}
	in := func(h string) bool { r := reverseHost(h); return r >= from && r < to }
	for _, h := range []string{"example.com", "www.example.com", "a.b.example.com", "EXAMPLE.com."} {
		if !in(h) {
			t.Errorf("%s is not in the range of example.com", h)
		}
	}
	for _, h := range []string{"example-shop.com", "examples.com", "notexample.com", "com", "example.org", "example.com.evil.net"} {
		if in(h) {
			t.Errorf("%s is in the range of example.com", h)
		}
	}
	if _, _, ok := hostRange(""); ok {
		t.Error("an empty host has a range")
	}
}

// FuzzReverseHost: a host is always inside its own range, and its range
// holds nothing but it and its subdomains.
func FuzzReverseHost(f *testing.F) {
	for _, s := range []string{"www.example.com", "example.com", "a..b", "", ".", "xn--bcher-kva.example", "1.2.3.4", "example.com."} {
		f.Add(s, "example.com")
	}
	f.Fuzz(func(t *testing.T, host, parent string) {
		from, to, ok := hostRange(parent)
		if !ok {
			return
		}
		r := reverseHost(host)
		h := strings.ToLower(strings.TrimRight(host, "."))
		p := strings.ToLower(strings.TrimRight(parent, "."))
		want := h == p || strings.HasSuffix(h, "."+p)
		if got := r >= from && r < to; got != want {
			t.Fatalf("host %q parent %q: in range %v, is it or a subdomain %v (r=%q from=%q to=%q)", host, parent, got, want, r, from, to)
		}
	})
}
