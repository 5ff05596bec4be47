package lists

import (
	"bytes"
	"strings"
	"testing"
)

// fuzzFormat checks the invariants of a parser on any input: no panic,
// every emitted host is canonical, every skipped line is counted.
func fuzzFormat(f *testing.F, format string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		emitted := 0
		st, err := Parse(bytes.NewReader(data), "fuzz", format, func(e Entry) {
			emitted++
			if h, err := NormalizeHost(e.Host); err != nil || h != e.Host {
				t.Fatalf("emitted non-canonical host %q (%q, %v)", e.Host, h, err)
			}
			if e.Kind == URL && !strings.HasPrefix(e.Path, "/") {
				t.Fatalf("URL entry path %q", e.Path)
			}
			if e.Path != strings.ToLower(e.Path) {
				t.Fatalf("path not lower case: %q", e.Path)
			}
		})
		if err != nil {
			return // only over-long lines
		}
		if emitted != st.Entries {
			t.Fatalf("emitted %d, counted %d", emitted, st.Entries)
		}
		if len(st.Examples) > MaxSkippedKept || len(st.Examples) > st.Skipped {
			t.Fatalf("examples %d, skipped %d", len(st.Examples), st.Skipped)
		}
	})
}

func FuzzDomains(f *testing.F) {
	fuzzFormat(f, FormatDomains, "example.com\n# c\n*.a.b\n1.2.3.4\nbücher.de\n", "\ufeffa\r\nb c\n", "[::1]:53\n")
}

func FuzzHosts(f *testing.F) {
	fuzzFormat(f, FormatHosts, "0.0.0.0 a.example b.example\n127.0.0.1 localhost\n", ":: x\n1.2.3.4\n")
}

func FuzzAdblock(f *testing.F) {
	fuzzFormat(f, FormatAdblock, "||a.example^\n@@||b.example^\n||c^$important\n! x\n##.ad\n", "||^\n@@\n||a.b^|\n")
}

func FuzzURLs(f *testing.F) {
	fuzzFormat(f, FormatURLs, "example.org/a\nhttp://x.example/?q\nuser@host.example/p\n", "/\n?\n://\n")
}
