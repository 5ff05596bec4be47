package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"schoolgate/internal/config"
	"schoolgate/internal/policy/lists"
)

// Options are the inputs of Compile beside the configuration.
type Options struct {
	// DataDir holds the list cache (downloaded url: sources) unless the
	// policy names lists.cache_dir.
	DataDir string
	Logger  *slog.Logger
	// Now is the clock used to warn about expired exceptions.
	Now func() time.Time
}

// CacheDir is where downloaded copies of url: sources live.
func CacheDir(c *config.Config, dataDir string) string {
	if c.Lists.CacheDir != "" {
		return c.Path(c.Lists.CacheDir)
	}
	return filepath.Join(dataDir, "lists")
}

// CachePath is the cached copy of one url: source.
func CachePath(cacheDir, url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(cacheDir, hex.EncodeToString(sum[:8])+".list")
}

// Compile checks the configuration's meaning and builds a Snapshot. Any
// error names the file, line and field; list junk is skipped and counted,
// never fatal.
func Compile(c *config.Config, opt Options) (*Snapshot, error) {
	start := time.Now()
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Snapshot{
		cfg:        c,
		catIndex:   map[string]int{},
		groupIndex: map[string]int{},
		userGroups: map[string]Set{},
		schedIndex: map[string]int{},
		excDomain:  map[string][]int{},
		excURL:     map[string][]int{},
		urls:       map[string][]urlRule{},
	}
	loc, err := time.LoadLocation(c.Site.Timezone)
	if err != nil {
		return nil, fieldErr(c, 0, "site.timezone", fmt.Sprintf("unknown time zone %q (e.g. Europe/London)", c.Site.Timezone))
	}
	s.loc = loc
	steps := []func() error{
		s.compileCategories,
		s.compileSchedules,
		s.compileGroups,
		s.compileRules,
		func() error { return s.compileExceptions(opt.Now()) },
		func() error { return s.loadLists(opt) },
		func() error { s.checkLockedExceptions(opt.Logger); return nil },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	s.took = time.Since(start)
	return s, nil
}

func plainTitle(name string) string {
	t := strings.NewReplacer("-", " ", "_", " ").Replace(name)
	r := []rune(t)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

func (s *Snapshot) compileCategories() error {
	c := s.cfg
	if len(c.Categories) > MaxCategories {
		return fieldErr(c, c.Categories[MaxCategories].Line, "categories", fmt.Sprintf("more than %d categories", MaxCategories))
	}
	for i, e := range c.Categories {
		if e.Name == "" || e.Name == "others" || e.Name == "default" {
			return fieldErr(c, e.Line, "categories."+e.Name, "reserved or empty category name")
		}
		title := e.Value.Title
		if title == "" {
			title = plainTitle(e.Name)
		}
		locked := e.Value.Locked || e.Value.Illegal
		s.cats = append(s.cats, category{name: e.Name, title: title, illegal: e.Value.Illegal, locked: locked, noInspect: e.Value.NoInspect})
		s.catIndex[e.Name] = i
		if e.Value.Illegal {
			s.illegal.Add(i)
		}
		if locked {
			s.locked.Add(i)
		}
		for j, src := range e.Value.Sources {
			field := fmt.Sprintf("categories.%s.sources[%d]", e.Name, j)
			if (src.Path == "") == (src.URL == "") {
				return fieldErr(c, src.Line, field, "give exactly one of path or url")
			}
			switch src.Format {
			case lists.FormatDomains, lists.FormatHosts, lists.FormatAdblock, lists.FormatURLs, lists.FormatUT1:
			case "":
				return fieldErr(c, src.Line, field+".format", "missing (domains, hosts, adblock, urls or ut1)")
			default:
				return fieldErr(c, src.Line, field+".format", fmt.Sprintf("unknown format %q (domains, hosts, adblock, urls or ut1)", src.Format))
			}
			if src.URL != "" && !strings.HasPrefix(src.URL, "http://") && !strings.HasPrefix(src.URL, "https://") {
				return fieldErr(c, src.Line, field+".url", "must be an http:// or https:// address")
			}
		}
	}
	return nil
}

func (s *Snapshot) compileSchedules() error {
	for name, windows := range s.cfg.Schedules {
		sc, err := compileSchedule(s.cfg, name, windows)
		if err != nil {
			return err
		}
		s.schedIndex[name] = len(s.schedules)
		s.schedules = append(s.schedules, sc)
	}
	return nil
}

func (s *Snapshot) compileGroups() error {
	c := s.cfg
	s.garden = c.PortalGarden()
	if len(c.Groups) > MaxGroups {
		return fieldErr(c, c.Groups[MaxGroups].Line, "groups", fmt.Sprintf("more than %d groups", MaxGroups))
	}
	for i, e := range c.Groups {
		if e.Name == "" || e.Name == "others" {
			return fieldErr(c, e.Line, "groups."+e.Name, "reserved or empty group name")
		}
		g := group{name: e.Name, portal: e.Value.Portal}
		s.hasPortal = s.hasPortal || g.portal
		for j, n := range e.Value.Networks {
			p, err := config.ParseNetwork(n)
			if err != nil {
				return fieldErr(c, e.Value.Line, fmt.Sprintf("groups.%s.networks[%d]", e.Name, j), err.Error())
			}
			g.networks = append(g.networks, p)
		}
		ss, set, err := parseSafeSearch(e.Value.SafeSearch)
		if err != nil {
			return fieldErr(c, e.Value.Line, "groups."+e.Name+".safesearch", err.Error())
		}
		g.safesearch, g.ssSet = ss, set
		for _, u := range e.Value.Users {
			set := s.userGroups[u]
			set.Add(i)
			s.userGroups[u] = set
		}
		s.groupIndex[e.Name] = i
		s.groups = append(s.groups, g)
	}
	s.defaultGroup = -1
	if c.DefaultGroup != "" {
		i, ok := s.groupIndex[c.DefaultGroup]
		if !ok {
			return fieldErr(c, 0, "default_group", fmt.Sprintf("unknown group %q (groups: %s)", c.DefaultGroup, strings.Join(s.Groups(), ", ")))
		}
		s.defaultGroup = i
	}
	return nil
}

func (s *Snapshot) parseCell(text string, line int, field string) (cell, error) {
	t := strings.TrimSpace(text)
	for _, k := range []struct {
		prefix string
		kind   cellKind
	}{{"allow during ", cellAllowDuring}, {"block during ", cellBlockDuring}} {
		rest, ok := strings.CutPrefix(t, k.prefix)
		if !ok {
			continue
		}
		cl := cell{kind: k.kind, text: t}
		for _, name := range strings.Split(rest, ",") {
			name = strings.TrimSpace(name)
			i, ok := s.schedIndex[name]
			if !ok {
				return cell{}, fieldErr(s.cfg, line, field, fmt.Sprintf("unknown schedule %q in %q", name, t))
			}
			cl.schedules = append(cl.schedules, i)
		}
		return cl, nil
	}
	v, err := ParseVerdict(t)
	if err != nil {
		return cell{}, fieldErr(s.cfg, line, field, fmt.Sprintf("bad cell %q (allow, block, warn, permission, \"allow during S\" or \"block during S\")", t))
	}
	return cell{kind: cellFixed, verdict: v, text: t}, nil
}

func (s *Snapshot) compileRow(name, field string, r config.Row) (*row, error) {
	rw := &row{name: name, others: -1, line: r.Line, byGroup: make([]int16, len(s.groups))}
	for i := range rw.byGroup {
		rw.byGroup[i] = -1
	}
	for _, e := range r.Cells {
		f := field + "." + e.Name
		cl, err := s.parseCell(e.Value, e.Line, f)
		if err != nil {
			return nil, err
		}
		idx := int16(len(rw.cells))
		rw.cells = append(rw.cells, cl)
		rw.names = append(rw.names, e.Name)
		if e.Name == "others" {
			rw.others = idx
			continue
		}
		g, ok := s.groupIndex[e.Name]
		if !ok {
			return nil, fieldErr(s.cfg, e.Line, f, fmt.Sprintf("unknown group %q (groups: %s, or others)", e.Name, strings.Join(s.Groups(), ", ")))
		}
		rw.byGroup[g] = idx
	}
	return rw, nil
}

func (s *Snapshot) compileRules() error {
	c := s.cfg
	s.rows = make([]*row, len(s.cats))
	for _, e := range c.Rules {
		ci, ok := s.catIndex[e.Name]
		if !ok {
			return fieldErr(c, e.Line, "rules."+e.Name, fmt.Sprintf("unknown category %q", e.Name))
		}
		rw, err := s.compileRow(e.Name, "rules."+e.Name, e.Value)
		if err != nil {
			return err
		}
		if s.cats[ci].illegal {
			for i, cl := range rw.cells {
				if cl.kind != cellFixed || cl.verdict != Block {
					return fieldErr(c, e.Line, "rules."+e.Name+"."+rw.names[i], fmt.Sprintf("category %s is illegal: every cell must be block, not %q", e.Name, cl.text))
				}
			}
		}
		if s.cats[ci].locked {
			for i, cl := range rw.cells {
				if cl.kind == cellFixed && cl.verdict == Permission {
					return fieldErr(c, e.Line, "rules."+e.Name+"."+rw.names[i], fmt.Sprintf("category %s is locked: no grant can open it, so permission would block for ever (write block, or allow for the groups that may see it)", e.Name))
				}
			}
		}
		s.rows[ci] = rw
	}
	def := c.Default
	if !def.Set {
		def = config.Row{Set: true, Cells: config.Ordered[string]{{Name: "others", Value: "allow"}}}
	}
	rw, err := s.compileRow("default", "default", def)
	if err != nil {
		return err
	}
	if rw.others < 0 {
		return fieldErr(c, def.Line, "default.others", "the default row needs an others cell, so every client gets a verdict")
	}
	s.defRow = rw
	return nil
}

// ParseUntil reads an RFC 3339 time, or a bare date meaning midnight at the
// start of that date in loc.
func ParseUntil(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("bad time %q (RFC 3339 such as 2026-12-20T15:30:00Z, or a date such as 2026-12-20)", v)
}

// ParseTargetEntry reads an exception or override entry: "host" (the host
// and its subdomains) or "host/path" (the host after StripWWW, and a path
// prefix).
func ParseTargetEntry(v string) (host, path string, err error) {
	h, p, ok := lists.SplitURLEntry(strings.TrimSpace(v))
	if !ok {
		return "", "", fmt.Errorf("%w: %q is not a host or host/path", ErrBadTarget, v)
	}
	if p != "" {
		h = lists.StripWWW(h)
	}
	return h, p, nil
}

func (s *Snapshot) compileExceptions(now time.Time) error {
	c := s.cfg
	for i, e := range c.Exceptions {
		field := fmt.Sprintf("exceptions[%d]", i)
		v, err := ParseVerdict(e.Verdict)
		if err != nil || v == Permission {
			return fieldErr(c, e.Line, field+".verdict", fmt.Sprintf("bad verdict %q (allow, warn or block)", e.Verdict))
		}
		base := exception{index: i, verdict: v, reason: e.Reason, anyGrp: len(e.Groups) == 0}
		for j, g := range e.Groups {
			gi, ok := s.groupIndex[g]
			if !ok {
				return fieldErr(c, e.Line, fmt.Sprintf("%s.groups[%d]", field, j), fmt.Sprintf("unknown group %q", g))
			}
			base.groups.Add(gi)
		}
		if e.Until != "" {
			t, err := ParseUntil(e.Until, s.loc)
			if err != nil {
				return fieldErr(c, e.Line, field+".until", err.Error())
			}
			base.until = t
			if !now.Before(t) {
				s.warnings = append(s.warnings, fmt.Sprintf("%s:%d: %s has expired (until %s): it no longer applies", displayName(c), e.Line, field, e.Until))
			}
		}
		if len(e.Hosts) == 0 {
			return fieldErr(c, e.Line, field+".hosts", "no hosts given")
		}
		for j, h := range e.Hosts {
			host, path, err := ParseTargetEntry(h)
			if err != nil {
				return fieldErr(c, e.Line, fmt.Sprintf("%s.hosts[%d]", field, j), err.Error())
			}
			x := base
			x.hostIdx = j
			x.host, x.path, x.entry = host, path, host+path
			idx := len(s.exceptions)
			s.exceptions = append(s.exceptions, x)
			if path == "" {
				s.excDomain[host] = append(s.excDomain[host], idx)
			} else {
				s.excURL[host] = append(s.excURL[host], idx)
			}
		}
	}
	return nil
}

// loadLists reads every source into the domain table and URL rules.
func (s *Snapshot) loadLists(opt Options) error {
	c := s.cfg
	cacheDir := CacheDir(c, opt.DataDir)
	type job struct {
		cat    int
		src    config.Source
		file   string
		field  string
		format string
	}
	var jobs []job
	var total int64
	for ci, e := range c.Categories {
		for j, src := range e.Value.Sources {
			jb := job{cat: ci, src: src, format: src.Format, field: fmt.Sprintf("categories.%s.sources[%d]", e.Name, j)}
			if src.Path != "" {
				jb.file = c.Path(src.Path)
			} else {
				jb.file = CachePath(cacheDir, src.URL)
			}
			total += countLines(jb.file, jb.format)
			jobs = append(jobs, jb)
		}
	}
	// Size the table once, up front, from the number of lines, so a reload
	// never holds two generations of a growing table.
	s.domains = newTable(int(total))
	pairIndex := map[catPair]uint16{}
	intern := func(p catPair) (uint16, error) {
		if i, ok := pairIndex[p]; ok {
			return i, nil
		}
		if len(s.pairs) >= 1<<16 {
			return 0, errors.New("too many distinct combinations of categories (65,536)")
		}
		i := uint16(len(s.pairs))
		s.pairs = append(s.pairs, p)
		pairIndex[p] = i
		return i, nil
	}
	var internErr error
	missing := 0
	for _, jb := range jobs {
		var one catPair
		one.add.Add(jb.cat)
		var unlist catPair
		unlist.del.Add(jb.cat)
		oneIdx, _ := intern(one)
		ss := SourceStats{Category: c.Categories[jb.cat].Name, Source: jb.src.Path + jb.src.URL, File: jb.file, Format: jb.format}
		emit := func(e lists.Entry) {
			switch e.Kind {
			case lists.URL:
				rules := s.urls[e.Host]
				for k := range rules {
					if rules[k].path == e.Path {
						rules[k].cats.Add(jb.cat)
						return
					}
				}
				var cs Set
				cs.Add(jb.cat)
				host := e.Host
				if rules == nil {
					host = strings.Clone(host) // e.Host is only valid during the call
				}
				s.urls[host] = append(rules, urlRule{path: strings.Clone(e.Path), cats: cs})
			default:
				add := e.Kind == lists.Domain
				if strings.IndexAny(e.Host, ".:") < 0 { // a bare TLD, not an IPv6 address
					s.domains.singleLabel = true
				}
				s.domains.upsert(nameKey(e.Host), func(old uint16, found bool) uint16 {
					if !found {
						if add {
							return oneIdx
						}
						i, err := intern(unlist)
						if err != nil {
							internErr = err
						}
						return i
					}
					p := s.pairs[old]
					if add {
						p.add.Add(jb.cat)
					} else {
						p.del.Add(jb.cat)
					}
					i, err := intern(p)
					if err != nil {
						internErr = err
						return old
					}
					return i
				})
			}
		}
		st, err := lists.ParseFile(jb.file, jb.format, emit)
		ss.Stats = st
		if internErr != nil {
			return fmt.Errorf("%s: %w", jb.field, internErr)
		}
		if err != nil {
			if jb.src.URL != "" && errors.Is(err, fs.ErrNotExist) {
				ss.Missing = true
				w := fmt.Sprintf("%s: %s has not been downloaded yet (run `schoolgate lists update`): category %s loads without it", jb.field, jb.src.URL, ss.Category)
				s.warnings = append(s.warnings, w)
				missing++
			} else {
				return fieldErr(c, jb.src.Line, jb.field, err.Error())
			}
		}
		s.cats[jb.cat].entries += st.Entries
		s.sources = append(s.sources, ss)
	}
	if missing > 0 {
		opt.Logger.Warn("some list sources have not been downloaded yet: their categories load without them; run `schoolgate lists update`", "sources", missing)
	}
	s.domains.compact()
	s.domains.buildFilter()
	s.entries = s.domains.n
	for _, r := range s.urls {
		s.entries += len(r)
	}
	return nil
}

// countLines counts the lines of a list file (or of a UT1 folder's two
// files): an upper bound of its entries, cheap to read from the page cache.
func countLines(path, format string) int64 {
	if format == lists.FormatUT1 {
		return countLines(filepath.Join(path, "domains"), "") + countLines(filepath.Join(path, "urls"), "")
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 256*1024)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err != nil {
			return n + 1
		}
	}
}
