package policy

import (
	"os"
	"testing"
	"time"

	"schoolgate/internal/config"
)

// FuzzPolicyFile: any policy text is either accepted or rejected with an
// error; never a panic.
func FuzzPolicyFile(f *testing.F) {
	seed, err := os.ReadFile("testdata/walled-garden.policytest")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("default: {x: [}\n"))
	f.Add([]byte("groups: {a: {networks: [1.2.3.0/24]}}\nrules: {}\ndefault: allow\n"))
	f.Add([]byte("schedules: {s: [{days: [mon], from: \"23:00\", to: \"01:00\"}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.yaml", "/nonexistent/fuzz.yaml", data)
		if err != nil {
			return
		}
		s, err := Compile(c, Options{DataDir: t.TempDir()})
		if err != nil {
			return
		}
		q := Query{Host: "www.example.com", Path: "/a", Groups: s.DefaultGroup(), At: time.Unix(1764000000, 0)}
		d := s.Decide(&q)
		_ = s.Reason(&d) + s.Rule(&d) + s.Match(&d)
	})
}

// FuzzDecide: any target parses or is refused, and a decision never
// panics and is rendered.
func FuzzDecide(f *testing.F) {
	s := loadGolden(f, "testdata/main.policytest")
	for _, t := range []string{"https://www.bet365.com/help", "ÜBER-casino.de", "[::1]:80", "http://a..b/", "x", "http://example.org/GAMES?x=1", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.wild.example"} {
		f.Add(t, uint8(3))
	}
	f.Fuzz(func(t *testing.T, target string, group uint8) {
		tg, err := ParseTarget(target)
		if err != nil {
			return
		}
		var g Set
		g.Add(int(group) % len(s.groups))
		d := s.Decide(&Query{Host: tg.Host, Path: tg.Path, Groups: g, At: time.Unix(1764000000, 0)})
		if d.Verdict != Allow && d.Verdict != Warn && d.Verdict != Block {
			t.Fatalf("verdict %v", d.Verdict)
		}
		if d.Illegal && d.Verdict != Block {
			t.Fatal("illegal but not blocked")
		}
		_ = s.Reason(&d) + s.Rule(&d) + s.Match(&d)
	})
}
