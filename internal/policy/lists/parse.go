package lists

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unsafe"
)

// Formats a source may declare.
const (
	FormatDomains = "domains"
	FormatHosts   = "hosts"
	FormatAdblock = "adblock"
	FormatURLs    = "urls"
	FormatUT1     = "ut1"
)

// ErrFormat is returned for an unknown format name.
var ErrFormat = errors.New("unknown list format (known: domains, hosts, adblock, urls, ut1)")

// Kind says what an entry does.
type Kind uint8

const (
	// Domain lists a host and all its subdomains.
	Domain Kind = iota
	// URL lists a host (compared after StripWWW) and a path prefix.
	URL
	// Unlist takes a host and its subdomains out of the category again
	// (adblock "@@||name^").
	Unlist
)

// Entry is one parsed list line. Host is canonical (see NormalizeHost); Path
// is lower case and starts with "/". Strings are only valid during the call.
type Entry struct {
	Kind Kind
	Host string
	Path string
	Line int
}

// Skipped is one junk line.
type Skipped struct {
	File string
	Line int
	Text string
	Why  string
}

func (s Skipped) String() string {
	return fmt.Sprintf("%s:%d: %s: %q", s.File, s.Line, s.Why, s.Text)
}

// MaxSkippedKept bounds the examples kept per file; all are counted.
const MaxSkippedKept = 20

// Stats counts what one file gave.
type Stats struct {
	File    string
	Entries int
	Skipped int
	// Unsupported counts adblock rules of other types (cosmetic, regex,
	// modifiers) that a DNS/URL filter cannot apply; they are skipped too.
	Unsupported int
	Examples    []Skipped
}

func (s *Stats) skip(line int, text []byte, why string) {
	s.Skipped++
	if len(s.Examples) < MaxSkippedKept {
		if len(text) > 120 {
			text = text[:120]
		}
		s.Examples = append(s.Examples, Skipped{File: s.File, Line: line, Text: string(text), Why: why})
	}
}

// Add merges o into s.
func (s *Stats) Add(o Stats) {
	s.Entries += o.Entries
	s.Skipped += o.Skipped
	s.Unsupported += o.Unsupported
	for _, e := range o.Examples {
		if len(s.Examples) < MaxSkippedKept {
			s.Examples = append(s.Examples, e)
		}
	}
}

// ParseFile reads a list file (or, for ut1, a UT1 category folder).
func ParseFile(path, format string, emit func(Entry)) (Stats, error) {
	if format == FormatUT1 {
		return parseUT1(path, emit)
	}
	f, err := os.Open(path)
	if err != nil {
		return Stats{File: path}, fmt.Errorf("list %s: %w", path, err)
	}
	defer f.Close()
	return Parse(f, path, format, emit)
}

func parseUT1(dir string, emit func(Entry)) (Stats, error) {
	st := Stats{File: dir}
	fi, err := os.Stat(dir)
	if err != nil {
		return st, fmt.Errorf("ut1 list %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return st, fmt.Errorf("ut1 list %s: not a folder (a UT1 category folder holds domains and urls files)", dir)
	}
	found := false
	for _, part := range []struct{ name, format string }{{"domains", FormatDomains}, {"urls", FormatURLs}} {
		f, err := os.Open(filepath.Join(dir, part.name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("ut1 list: %w", err)
		}
		found = true
		s, err := Parse(f, filepath.Join(dir, part.name), part.format, emit)
		f.Close()
		st.Add(s)
		if err != nil {
			return st, err
		}
	}
	if !found {
		return st, fmt.Errorf("ut1 list %s: %w: neither domains nor urls file", dir, os.ErrNotExist)
	}
	return st, nil
}

// Parse reads list lines from r. name is used in messages.
func Parse(r io.Reader, name, format string, emit func(Entry)) (Stats, error) {
	var line func(st *Stats, n int, b []byte, emit func(Entry))
	switch format {
	case FormatDomains:
		line = domainsLine
	case FormatHosts:
		line = hostsLine
	case FormatAdblock:
		line = adblockLine
	case FormatURLs:
		line = urlsLine
	default:
		return Stats{File: name}, fmt.Errorf("list %s: %q: %w", name, format, ErrFormat)
	}
	st := Stats{File: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		b := sc.Bytes()
		if n == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		line(&st, n, b, emit)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return st, fmt.Errorf("list %s: line %d: longer than 1 MiB: %w", name, n+1, err)
		}
		return st, fmt.Errorf("list %s: line %d: %w", name, n+1, err)
	}
	return st, nil
}

// host normalizes a name held in a scanner buffer, allocating only when it
// is not already canonical.
//
// A canonical name (the common case) is passed on without a copy: the
// string shares the scanner's buffer, which is why Entry strings are valid
// only during the emit call.
func host(b []byte) (string, bool) {
	h, err := NormalizeHost(unsafe.String(unsafe.SliceData(b), len(b)))
	return h, err == nil
}

func emitDomain(st *Stats, n int, b []byte, emit func(Entry)) {
	h, ok := host(b)
	if !ok {
		st.skip(n, b, "not a host name")
		return
	}
	st.Entries++
	emit(Entry{Kind: Domain, Host: h, Line: n})
}

func stripComment(b []byte) []byte {
	if i := bytes.IndexByte(b, '#'); i >= 0 {
		b = bytes.TrimSpace(b[:i])
	}
	return b
}

func domainsLine(st *Stats, n int, b []byte, emit func(Entry)) {
	if b = stripComment(b); len(b) == 0 {
		return
	}
	if bytes.ContainsAny(b, " \t/") {
		st.skip(n, b, "not a single host name")
		return
	}
	emitDomain(st, n, b, emit)
}

func hostsLine(st *Stats, n int, b []byte, emit func(Entry)) {
	if b = stripComment(b); len(b) == 0 {
		return
	}
	fields := bytes.Fields(b)
	if len(fields) < 2 {
		st.skip(n, b, "hosts line without an address and a name")
		return
	}
	if !IsIP(unsafe.String(unsafe.SliceData(fields[0]), len(fields[0]))) {
		st.skip(n, b, "hosts line does not start with an IP address")
		return
	}
	for _, f := range fields[1:] {
		if isLocalName(f) {
			continue
		}
		emitDomain(st, n, f, emit)
	}
}

func adblockLine(st *Stats, n int, b []byte, emit func(Entry)) {
	switch b[0] {
	case '!', '#', '[':
		if b[0] != '#' || !bytes.Contains(b, []byte("##")) {
			return // comment or header
		}
	}
	kind := Domain
	rule := b
	if bytes.HasPrefix(rule, []byte("@@")) {
		kind = Unlist
		rule = rule[2:]
	}
	if !bytes.HasPrefix(rule, []byte("||")) {
		st.Unsupported++
		st.skip(n, b, "adblock rule type not applied (only ||name^ and @@||name^)")
		return
	}
	rule = rule[2:]
	if i := bytes.IndexByte(rule, '$'); i >= 0 {
		if string(rule[i+1:]) != "important" {
			st.Unsupported++
			st.skip(n, b, "adblock rule with modifiers not applied")
			return
		}
		rule = rule[:i]
	}
	end := bytes.IndexByte(rule, '^')
	if end < 0 || (end != len(rule)-1 && string(rule[end:]) != "^|") {
		st.Unsupported++
		st.skip(n, b, "adblock rule is not a whole-domain rule")
		return
	}
	h, ok := host(rule[:end])
	if !ok {
		st.skip(n, b, "not a host name")
		return
	}
	st.Entries++
	emit(Entry{Kind: kind, Host: h, Line: n})
}

func urlsLine(st *Stats, n int, b []byte, emit func(Entry)) {
	if b = stripComment(b); len(b) == 0 {
		return
	}
	if bytes.ContainsAny(b, " \t") {
		st.skip(n, b, "not a single URL")
		return
	}
	h, p, ok := SplitURLEntry(string(b))
	if !ok {
		st.skip(n, b, "not a host/path")
		return
	}
	st.Entries++
	if p == "" {
		emit(Entry{Kind: Domain, Host: h, Line: n})
		return
	}
	emit(Entry{Kind: URL, Host: StripWWW(h), Path: p, Line: n})
}

// SplitURLEntry reads "host/path" (a scheme is tolerated) into a canonical
// host and a lower-case path; path is "" when there is none.
func SplitURLEntry(s string) (host, path string, ok bool) {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	h := s
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		h, path = s[:i], s[i:]
		if path[0] == '?' {
			path = "/" + path
		}
	}
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	host, err := NormalizeHost(h)
	if err != nil {
		return "", "", false
	}
	return host, strings.ToLower(path), true
}

var localNames = [...]string{"localhost", "localhost.localdomain", "local", "broadcasthost",
	"ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
	"ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0"}

// isLocalName reports the names hosts files map for the machine itself.
func isLocalName(f []byte) bool {
	for _, n := range localNames {
		if len(f) == len(n) && bytes.EqualFold(f, []byte(n)) {
			return true
		}
	}
	return false
}
