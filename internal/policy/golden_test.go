package policy

import (
	"bufio"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestGolden runs every testdata/*.policytest file: a policy, a line of
// dashes, then one case per line:
//
//	[group=G[,G2] | client=IP] [user=U] [at=RFC3339] [override=...] TARGET => VERDICT [key=value ...]
//
// Expectation keys: categories (comma-separated, "-" for none), rule,
// match, illegal, needs_permission, until, reason~ (a substring),
// not_applied (the rules NotApplied lists, comma-separated, "-" for none)
// and why~ (a substring of their reasons, "_" for a space).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.policytest")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runGolden(t, f) })
	}
}

func runGolden(t *testing.T, file string) {
	s, cases, base := compileGolden(t, file)
	sc := bufio.NewScanner(strings.NewReader(cases))
	line := base
	n := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		n++
		runCase(t, s, file, line, text)
	}
	if n == 0 {
		t.Fatalf("%s: no cases", file)
	}
}

func runCase(t *testing.T, s *Snapshot, file string, line int, text string) {
	t.Helper()
	left, right, ok := strings.Cut(text, "=>")
	if !ok {
		t.Fatalf("%s:%d: no =>", file, line)
	}
	q := Query{At: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	var target string
	var ovs []Override
	groupsSet := false
	for _, f := range strings.Fields(left) {
		k, v, isKV := strings.Cut(f, "=")
		if !isKV || strings.Contains(k, "/") || strings.Contains(k, ":") {
			target = f
			continue
		}
		switch k {
		case "group":
			for _, g := range strings.Split(v, ",") {
				i, ok := s.GroupIndex(g)
				if !ok {
					t.Fatalf("%s:%d: unknown group %q", file, line, g)
				}
				q.Groups.Add(i)
			}
			groupsSet = true
		case "client":
			q.Client = netip.MustParseAddr(v)
			if !groupsSet {
				q.Groups = s.GroupsForIP(q.Client)
				groupsSet = true
			}
		case "user":
			q.User = v
			if g, ok := s.PolicyUserGroups(v); ok && !groupsSet {
				q.Groups = g
				groupsSet = true
			}
		case "at":
			at, err := ParseUntil(v, s.Location())
			if err != nil {
				t.Fatalf("%s:%d: %v", file, line, err)
			}
			q.At = at
		case "override":
			// kind:subject:scope:verdict:until, subject user/NAME,
			// group/NAME or client/IP,
			// scope cat/NAME, host/TARGET or all.
			p := strings.SplitN(v, ":", 5)
			if len(p) != 5 {
				t.Fatalf("%s:%d: bad override %q", file, line, v)
			}
			o := Override{ID: int64(len(ovs) + 1), Kind: p[0]}
			sk, sv, _ := strings.Cut(p[1], "/")
			switch sk {
			case "user":
				o.User = sv
			case "client":
				o.Client = netip.MustParseAddr(sv)
			default:
				o.Group = sv
			}
			if sc, sv, _ := strings.Cut(p[2], "/"); sc == "cat" {
				o.Category = sv
			} else if sc == "host" {
				o.Target = sv
			}
			o.Verdict, _ = ParseVerdict(p[3])
			o.Until, _ = time.Parse(time.RFC3339, p[4])
			ovs = append(ovs, o)
		default:
			target = f
		}
	}
	if len(ovs) > 0 {
		q.Overrides = NewOverrides(ovs)
		if q.Overrides.Len() != len(ovs) {
			t.Fatalf("%s:%d: an override is invalid", file, line)
		}
	}
	tg, err := ParseTarget(target)
	if err != nil {
		if strings.TrimSpace(right) != "error" {
			t.Errorf("%s:%d: %v", file, line, err)
		}
		return
	}
	q.Host, q.Path = tg.Host, tg.Path
	d := s.Decide(&q)
	exp := strings.Fields(right)
	if len(exp) == 0 {
		t.Fatalf("%s:%d: no expected verdict", file, line)
	}
	where := file + ":" + strconv.Itoa(line) + ": " + text
	if got := d.Verdict.String(); got != exp[0] {
		t.Errorf("%s\n  verdict = %s, want %s (rule %s, reason %q)", where, got, exp[0], s.Rule(&d), s.Reason(&d))
	}
	for _, e := range exp[1:] {
		k, v, _ := strings.Cut(e, "=")
		var got string
		switch k {
		case "categories":
			got = strings.Join(s.CategoryNames(&d), ",")
			if got == "" {
				got = "-"
			}
		case "rule":
			got = s.Rule(&d)
		case "match":
			got = s.Match(&d)
		case "illegal":
			got = boolStr(d.Illegal)
		case "needs_permission":
			got = boolStr(d.NeedsPermission)
		case "until":
			got = "-"
			if !d.Until.IsZero() {
				got = d.Until.UTC().Format(time.RFC3339)
			}
		case "reason~":
			r := s.Reason(&d)
			if !strings.Contains(r, strings.ReplaceAll(v, "_", " ")) {
				t.Errorf("%s\n  reason = %q, want it to contain %q", where, r, v)
			}
			continue
		case "not_applied":
			var rules []string
			for _, na := range s.NotApplied(&q, &d) {
				rules = append(rules, na.Rule)
			}
			got = strings.Join(rules, ",")
			if got == "" {
				got = "-"
			}
		case "why~":
			var whys []string
			for _, na := range s.NotApplied(&q, &d) {
				whys = append(whys, na.Why)
			}
			w := strings.Join(whys, "; ")
			if !strings.Contains(w, strings.ReplaceAll(v, "_", " ")) {
				t.Errorf("%s\n  not_applied whys = %q, want them to contain %q", where, w, v)
			}
			continue
		default:
			t.Fatalf("%s: unknown expectation %q", where, k)
		}
		if got != v {
			t.Errorf("%s\n  %s = %q, want %q", where, k, got, v)
		}
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
