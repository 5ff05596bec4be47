package lists

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func collect(t *testing.T, format, text string) ([]Entry, Stats) {
	t.Helper()
	var got []Entry
	st, err := Parse(strings.NewReader(text), "test.txt", format, func(e Entry) {
		got = append(got, Entry{Kind: e.Kind, Host: strings.Clone(e.Host), Path: strings.Clone(e.Path), Line: e.Line})
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st
}

func TestFormats(t *testing.T) {
	tests := []struct {
		format, text string
		want         []Entry
		skipped      int
		unsupported  int
	}{
		{FormatDomains, "\ufeffExample.COM\r\n# comment\r\n\r\n*.wild.example.\nbad host\nunder_score.example # note\n1.2.3.4\n::1\nbücher.example\n",
			[]Entry{{Domain, "example.com", "", 1}, {Domain, "wild.example", "", 4}, {Domain, "under_score.example", "", 6}, {Domain, "1.2.3.4", "", 7}, {Domain, "::1", "", 8}, {Domain, "xn--bcher-kva.example", "", 9}}, 1, 0},
		{FormatHosts, "0.0.0.0 a.example b.example\n127.0.0.1\tc.example # x\n0.0.0.0 localhost\nd.example\n::1 ip6-localhost\n:: e.example\n127.0.0.1 LocalHost.LocalDomain BroadcastHost IP6-AllNodes 0.0.0.0\n",
			[]Entry{{Domain, "a.example", "", 1}, {Domain, "b.example", "", 1}, {Domain, "c.example", "", 2}, {Domain, "e.example", "", 6}}, 1, 0},
		{FormatAdblock, "! comment\n[Adblock Plus]\n||a.example^\n@@||b.a.example^\n||c.example^$important\n||d.example^$third-party\nexample.com##.ad\n/regex/\n||e.example/path\n||f.example^|\n# comment\n",
			[]Entry{{Domain, "a.example", "", 3}, {Unlist, "b.a.example", "", 4}, {Domain, "c.example", "", 5}, {Domain, "f.example", "", 10}}, 4, 4},
		{FormatURLs, "example.org/games\nwww.example.org/a/B\nhttp://example.net/x?q=1\nplain.example\nbad url with spaces\nexample.com?x\n",
			[]Entry{{URL, "example.org", "/games", 1}, {URL, "example.org", "/a/b", 2}, {URL, "example.net", "/x?q=1", 3}, {Domain, "plain.example", "", 4}, {URL, "example.com", "/?x", 6}}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			got, st := collect(t, tc.format, tc.text)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("entries\n got %+v\nwant %+v", got, tc.want)
			}
			if st.Skipped != tc.skipped || st.Unsupported != tc.unsupported {
				t.Errorf("skipped %d unsupported %d, want %d %d (%v)", st.Skipped, st.Unsupported, tc.skipped, tc.unsupported, st.Examples)
			}
			if st.Entries != len(tc.want) {
				t.Errorf("entries counted %d, want %d", st.Entries, len(tc.want))
			}
			for _, ex := range st.Examples {
				if ex.File != "test.txt" || ex.Line == 0 || ex.Why == "" {
					t.Errorf("skipped line lacks file/line/why: %+v", ex)
				}
			}
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	_, err := Parse(strings.NewReader("x"), "f", "csv", func(Entry) {})
	if err == nil || !strings.Contains(err.Error(), "unknown list format") {
		t.Fatalf("err = %v", err)
	}
}

func TestUT1Folder(t *testing.T) {
	dir := t.TempDir()
	if _, err := ParseFile(dir, FormatUT1, func(Entry) {}); err == nil {
		t.Fatal("empty folder accepted")
	}
	os.WriteFile(filepath.Join(dir, "urls"), []byte("a.example/x\n"), 0o644)
	var n int
	st, err := ParseFile(dir, FormatUT1, func(Entry) { n++ })
	if err != nil || n != 1 || st.Entries != 1 {
		t.Fatalf("urls only: n=%d st=%+v err=%v", n, st, err)
	}
}

func TestStripWWW(t *testing.T) {
	for in, want := range map[string]string{
		"www.example.com": "example.com", "www2.example.com": "example.com", "web.example.com": "example.com",
		"ftp.example.com": "example.com", "web.de": "web.de", "www.de": "www.de", "wwwx.example.com": "wwwx.example.com",
		"www.web.de": "web.de", "example.com": "example.com", "www": "www",
	} {
		if got := StripWWW(in); got != want {
			t.Errorf("StripWWW(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.": "example.com", "example.com:8080": "example.com", "[2001:DB8::1]:443": "2001:db8::1",
		"2001:db8:0::1": "2001:db8::1", "*.x.example": "x.example", "ÜBER.example": "xn--ber-goa.example",
		"010.1.1.1": "010.1.1.1", "a..b": "", "": "", "-": "-", "a b": "", strings.Repeat("a", 64) + ".com": "",
	} {
		got, err := NormalizeHost(in)
		if want == "" {
			if err == nil {
				t.Errorf("NormalizeHost(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormalizeHost(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
}
