package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

const trustYAML = `site: {id: trust, name: Oak Trust}
relaxable: [games]
sites:
  school-a: {name: School A, timezone: Europe/London, school_day_end: "15:30"}
  school-b: {name: School B}
categories:
  csam: {illegal: true, sources: [{path: csam.txt, format: domains}]}
  adult: {locked: true, sources: [{path: adult.txt, format: domains}]}
  social: {sources: [{path: social.txt, format: domains}]}
  games: {sources: [{path: games.txt, format: domains}]}
  video: {sources: [{path: video.txt, format: domains}]}
  news: {sources: [{path: video.txt, format: domains}]}
schedules:
  lunch:
    - {days: [mon, tue, wed, thu, fri], from: "12:00", to: "13:00"}
  school-day:
    - {days: [mon, tue, wed, thu, fri], from: "08:30", to: "15:30"}
groups:
  staff: {users: [t1]}
  pupils: {networks: [10.1.0.0/16]}
rules:
  csam: block
  adult: {staff: block, others: block}
  social: {staff: allow, pupils: allow during lunch, others: block}
  games: {staff: allow, others: block}
  video: {staff: allow, others: warn}
  news: {pupils: block, others: allow}
default: allow
`

// writeTrust lays the trust's file and its lists in a folder and returns
// the folder.
func writeTrust(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"trust.yaml": trustYAML, "csam.txt": "bad.example\n", "adult.txt": "adult.example\n",
		"social.txt": "social.example\n", "games.txt": "games.example\n", "video.txt": "video.example\n",
		"local.txt": "local.example\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func parse(t *testing.T, dir, name, body string) *config.Config {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCompose(t *testing.T) {
	cases := []struct {
		name   string
		school string
		err    error  // nil: accepted
		where  string // the error's start, after the folder: file:line: field
		check  func(t *testing.T, c *config.Config)
	}{
		{name: "stricter cells accepted", school: `extends: trust.yaml
site: {id: school-a}
rules:
  social: {pupils: block, staff: allow during lunch}
  video: {others: block}
`, check: func(t *testing.T, c *config.Config) {
			want := map[[2]string]string{{"social", "pupils"}: "block", {"social", "staff"}: "allow during lunch", {"video", "others"}: "block", {"video", "pupils"}: "block"}
			for k, v := range want {
				if got := config.Effective(c, k[0], k[1]); got != v {
					t.Errorf("effective %s/%s = %q, want %q", k[0], k[1], got, v)
				}
				ch, ok := c.Composed.Changed(k[0], k[1])
				if !ok || ch.School != v {
					t.Errorf("Changed(%s, %s) = %+v, %v; want changed to %q", k[0], k[1], ch, ok, v)
				}
			}
			if ch, _ := c.Composed.Changed("social", "pupils"); ch.Trust != "allow during lunch" || ch.Line != 4 {
				t.Errorf("social/pupils change = %+v, want the trust's allow during lunch, line 4", ch)
			}
			if _, ok := c.Composed.Changed("video", "staff"); ok {
				t.Error("video/staff is marked changed; the school left it")
			}
			if _, ok := c.Composed.Changed("games", "staff"); ok {
				t.Error("games/staff is marked changed; the school left it")
			}
		}},
		{name: "narrower schedule accepted", school: `extends: trust.yaml
site: {id: school-a}
schedules:
  short-lunch:
    - {days: [mon, tue, wed, thu, fri], from: "12:15", to: "12:45"}
rules:
  social: {pupils: allow during short-lunch}
`},
		{name: "relaxed cell refused", school: `extends: trust.yaml
site: {id: school-a}
rules:
  video:
    staff: allow
    pupils: allow
`, err: config.ErrRelaxed, where: "school.yaml:6: rules.video.pupils"},
		{name: "wider schedule refused", school: `extends: trust.yaml
site: {id: school-a}
rules:
  social: {pupils: allow during school-day}
`, err: config.ErrRelaxed, where: "school.yaml:4: rules.social.pupils"},
		{name: "block during lunch is not stricter than allow during lunch", school: `extends: trust.yaml
site: {id: school-a}
rules:
  social: {pupils: block during lunch}
`, err: config.ErrRelaxed, where: "school.yaml:4: rules.social.pupils"},
		{name: "relaxable category relaxed", school: `extends: trust.yaml
site: {id: school-a}
rules:
  games: {pupils: allow}
`, check: func(t *testing.T, c *config.Config) {
			if got := config.Effective(c, "games", "pupils"); got != "allow" {
				t.Errorf("games/pupils = %q, want allow", got)
			}
		}},
		{name: "illegal row untouchable even to block", school: `extends: trust.yaml
site: {id: school-a}
rules:
  csam: {staff: block}
`, err: config.ErrTrustOnly, where: "school.yaml:4: rules.csam"},
		{name: "locked row untouchable", school: `extends: trust.yaml
site: {id: school-a}
rules:
  adult: {staff: block}
`, err: config.ErrTrustOnly, where: "school.yaml:4: rules.adult"},
		{name: "trust category not redefined", school: `extends: trust.yaml
site: {id: school-a}
categories:
  csam: {sources: [{path: empty.txt, format: domains}]}
`, err: config.ErrTrustOnly, where: "school.yaml:4: categories.csam"},
		{name: "trust-only section refused", school: `extends: trust.yaml
site: {id: school-a}
relaxable: [video]
`, err: config.ErrTrustOnly, where: "school.yaml:3: relaxable"},
		{name: "trust group gets networks only", school: `extends: trust.yaml
site: {id: school-a}
groups:
  pupils: {safesearch: off}
`, err: config.ErrTrustOnly, where: "school.yaml:4: groups.pupils"},
		{name: "new group with its rows", school: `extends: trust.yaml
site: {id: school-a}
groups:
  pupils: {networks: [10.2.0.0/16]}
  sixth: {networks: [10.9.0.0/16]}
rules:
  video: {sixth: block}
`, check: func(t *testing.T, c *config.Config) {
			if got := c.Groups.Names(); strings.Join(got, ",") != "staff,pupils,sixth" {
				t.Errorf("groups = %v, want the trust's first, then sixth", got)
			}
			if p, _ := c.Groups.Get("pupils"); strings.Join(p.Networks, ",") != "10.1.0.0/16,10.2.0.0/16" {
				t.Errorf("pupils networks = %v", p.Networks)
			}
			if ch, ok := c.Composed.Changed("video", "sixth"); !ok || ch.Trust != "warn" || ch.School != "block" {
				t.Errorf("video/sixth change = %+v, %v", ch, ok)
			}
		}},
		{name: "new group's cell is held to others", school: `extends: trust.yaml
site: {id: school-a}
groups:
  sixth: {networks: [10.9.0.0/16]}
rules:
  video: {sixth: allow}
`, err: config.ErrRelaxed, where: "school.yaml:6: rules.video.sixth"},
		{name: "added cell is held to later groups' cells", school: `extends: trust.yaml
site: {id: school-a}
rules:
  social: {staff: block}
  news: {staff: warn}
`, err: config.ErrRelaxed, where: "school.yaml:5: rules.news.staff"},
		{name: "school's own category above the default", school: `extends: trust.yaml
site: {id: school-a}
categories:
  local: {sources: [{path: local.txt, format: domains}]}
rules:
  local: {pupils: block}
default: {pupils: warn}
`, check: func(t *testing.T, c *config.Config) {
			if ch, ok := c.Composed.Changed("default", "pupils"); !ok || ch.Trust != "allow" || ch.School != "warn" || ch.Line != 7 {
				t.Errorf("default/pupils change = %+v, %v", ch, ok)
			}
			if ch, ok := c.Composed.Changed("local", "pupils"); !ok || ch.Trust != "allow" {
				t.Errorf("local/pupils change = %+v, %v", ch, ok)
			}
			src, _ := c.Categories.Get("social")
			if !filepath.IsAbs(src.Sources[0].Path) {
				t.Errorf("the trust's list path %q is not made absolute", src.Sources[0].Path)
			}
		}},
		{name: "unknown group named", school: `extends: trust.yaml
site: {id: school-a}
rules:
  video: {teachers: block}
`, err: config.ErrInvalid, where: "school.yaml:4: rules.video.teachers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTrust(t)
			path := filepath.Join(dir, "school.yaml")
			if err := os.WriteFile(path, []byte(tc.school), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := config.LoadComposed(path)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(err, config.ErrInvalid) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if !strings.HasPrefix(err.Error(), filepath.Join(dir, tc.where)) {
					t.Fatalf("err = %q, want it to start %q", err, tc.where)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Site.ID != "school-a" || c.Site.Name != "School A" || c.Composed == nil || c.File != path {
				t.Fatalf("site %+v, composed %v, file %s", c.Site, c.Composed, c.File)
			}
			if _, err := policy.Compile(c, policy.Options{}); err != nil {
				t.Fatalf("the composition does not compile: %v", err)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestComposeSites(t *testing.T) {
	dir := writeTrust(t)
	trust, err := config.Load(filepath.Join(dir, "trust.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := config.Compose(trust, nil, "school-a")
	if err != nil {
		t.Fatal(err)
	}
	want := config.Site{ID: "school-a", Name: "School A", Timezone: "Europe/London", SchoolDayEnd: "15:30"}
	if a.Site != want || len(a.Composed.Changes()) != 0 {
		t.Errorf("school-a site = %+v, changes %v; want %+v and none", a.Site, a.Composed.Changes(), want)
	}
	b, err := config.Compose(trust, nil, "school-b")
	if err != nil {
		t.Fatal(err)
	}
	if b.Site.Name != "School B" || b.Site.Timezone != "UTC" {
		t.Errorf("school-b site = %+v, want its name and the trust's time zone", b.Site)
	}
	if trust.Site.ID != "trust" || trust.Site.Name != "Oak Trust" {
		t.Errorf("Compose changed the trust's own site: %+v", trust.Site)
	}
	// A school not (yet) under sites: is named by its id, on the
	// trust's clock; an id that cannot be a site is refused.
	z, err := config.Compose(trust, nil, "school-z")
	if err != nil || z.Site != (config.Site{ID: "school-z", Name: "school-z", Timezone: trust.Site.Timezone, SchoolDayEnd: trust.Site.SchoolDayEnd}) {
		t.Errorf("unlisted site: %+v, %v", z.Site, err)
	}
	if _, err := config.Compose(trust, nil, "School Z"); err == nil || !strings.Contains(err.Error(), "sites:") {
		t.Errorf("bad site id: err = %v", err)
	}
}

// An allow exception for a host the trust's lists place in an illegal
// category is refused with the school's file and line.
func TestComposeExceptionOnIllegalHost(t *testing.T) {
	dir := writeTrust(t)
	school := `extends: trust.yaml
site: {id: school-a}
exceptions:
  - {hosts: [bad.example], verdict: allow, reason: research}
  - {hosts: [video.example], verdict: allow, reason: lessons}
`
	path := filepath.Join(dir, "school.yaml")
	if err := os.WriteFile(path, []byte(school), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.LoadComposed(path)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(c, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs := snap.LockedExceptions()
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), path+":4:") {
		t.Fatalf("locked exceptions = %v, want one naming %s:4", errs, path)
	}
	if d := snap.Decide(&policy.Query{Host: "bad.example"}); d.Verdict != policy.Block {
		t.Errorf("bad.example = %v, want block", d.Verdict)
	}
	if d := snap.Decide(&policy.Query{Host: "video.example"}); d.Verdict != policy.Allow {
		t.Errorf("video.example = %v, want the school's exception to allow it", d.Verdict)
	}
}
