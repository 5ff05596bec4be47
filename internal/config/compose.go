package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A trust writes one policy for its schools; each school's file names it
// with extends: and may add categories, schedules, groups, networks for the
// trust's groups, exceptions and rows, and make any cell stricter. A cell
// less strict than the trust's is refused unless the trust lists the
// category under relaxable:. Illegal and locked categories are the trust's
// alone.

// ErrRelaxed is wrapped when a school's cell is less strict than the trust's.
var ErrRelaxed = errors.New("less strict than the trust's policy")

// ErrTrustOnly is wrapped when a school's file sets what only the trust's may.
var ErrTrustOnly = errors.New("only the trust's policy may set this")

// SiteEntry is one school under the trust's sites:.
type SiteEntry struct {
	Name         string `yaml:"name"`
	Timezone     string `yaml:"timezone"`
	SchoolDayEnd string `yaml:"school_day_end"`
	Line         int    `yaml:"-"`
}

// schoolKeys are the top-level keys a school's file may hold: its own part
// of the policy, and the node's settings for a school run from its file.
var schoolKeys = map[string]bool{
	"extends": true, "site": true, "categories": true, "schedules": true, "groups": true,
	"rules": true, "default": true, "exceptions": true,
	"dns": true, "proxy": true, "blockpage": true, "console": true, "admin": true,
	"storage": true, "identity": true, "portal_allow": true,
}

// Compose builds the effective policy of site from the trust's policy and
// the school's own (school may be nil: the trust's policy for that site).
// It reads no files: paths are resolved against each config's Dir. The
// result's Composed tells which cells the school changed.
func Compose(trust, school *Config, site string) (*Config, error) {
	if trust == nil {
		return nil, fmt.Errorf("%w: compose: no trust policy", ErrInvalid)
	}
	if trust.Extends != "" {
		return nil, &Error{File: fileOf(trust), Field: "extends", Msg: "a trust's policy extends nothing (is this a school's file?)"}
	}
	if err := checkRelaxable(trust); err != nil {
		return nil, err
	}
	out := cloneTrust(trust)
	if err := out.setSite(trust, site); err != nil {
		return nil, err
	}
	out.Composed = &Composition{Site: site, TrustFile: trust.File, changes: map[cellKey]Change{}}
	if school == nil {
		return out, nil
	}
	m := &merger{trust: trust, school: school, out: out, file: fileOf(school), relax: map[string]bool{}}
	for _, r := range trust.Relaxable {
		m.relax[r] = true
	}
	for _, step := range []func() error{m.checkKeys, m.categories, m.schedules, m.groups, m.rows, m.exceptions} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	m.nodeSections()
	out.File, out.Dir = school.File, school.Dir
	out.Composed.SchoolFile = school.File
	out.Composed.changes = changedCells(trust, out, school)
	return out.check(m.file)
}

func fileOf(c *Config) string {
	if c.File == "" {
		return "policy"
	}
	return c.File
}

// checkRelaxable: the trust may relax only its own, ordinary categories.
func checkRelaxable(t *Config) error {
	for i, name := range t.Relaxable {
		cat, ok := t.Categories.Get(name)
		field := fmt.Sprintf("relaxable[%d]", i)
		switch {
		case !ok:
			return &Error{File: fileOf(t), Field: field, Msg: fmt.Sprintf("unknown category %q", name)}
		case cat.Illegal || cat.Locked:
			return &Error{File: fileOf(t), Line: cat.Line, Field: field, Msg: fmt.Sprintf("category %s is illegal or locked: no school may relax it", name)}
		}
	}
	return nil
}

// setSite fills the site from the trust's sites: entry.
func (c *Config) setSite(trust *Config, site string) error {
	var entry *Entry[SiteEntry]
	for i := range trust.Sites {
		if trust.Sites[i].Name == site {
			entry = &trust.Sites[i]
		}
	}
	if entry == nil {
		// Naming a new site creates it (issue 14): until the trust lists
		// it under sites:, it is named by its id and keeps the trust's
		// time and day end.
		s := Site{ID: site, Name: site, Timezone: trust.Site.Timezone, SchoolDayEnd: trust.Site.SchoolDayEnd}
		if err := s.validateID(); err != nil {
			return &Error{File: fileOf(trust), Field: "sites", Msg: fmt.Sprintf("%v (schools: %s)", err, strings.Join(trust.Sites.Names(), ", "))}
		}
		c.Site = s
		return nil
	}
	s := Site{ID: site, Name: entry.Value.Name, Timezone: entry.Value.Timezone, SchoolDayEnd: entry.Value.SchoolDayEnd}
	if s.Timezone == "" {
		s.Timezone = trust.Site.Timezone
	}
	if s.SchoolDayEnd == "" {
		s.SchoolDayEnd = trust.Site.SchoolDayEnd
	}
	field := "sites." + site
	if err := s.validateID(); err != nil {
		return &Error{File: fileOf(trust), Line: entry.Line, Field: field, Msg: err.Error()}
	}
	if err := s.validateDayEnd(); err != nil {
		return &Error{File: fileOf(trust), Line: entry.Line, Field: field + ".school_day_end", Msg: strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")}
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		return &Error{File: fileOf(trust), Line: entry.Line, Field: field + ".timezone", Msg: fmt.Sprintf("unknown time zone %q (e.g. Europe/London)", s.Timezone)}
	}
	c.Site = s
	return nil
}

// cloneTrust copies the parts of the trust's policy a school may change,
// and makes the trust's list paths absolute, as the result takes the
// school's folder.
func cloneTrust(t *Config) *Config {
	out := *t
	out.keys = nil
	out.Categories = slices.Clone(t.Categories)
	for i := range out.Categories {
		out.Categories[i].Value.Sources = absSources(t, out.Categories[i].Value.Sources)
	}
	out.Schedules = make(map[string][]Window, len(t.Schedules))
	for k, v := range t.Schedules {
		out.Schedules[k] = v
	}
	out.Groups = slices.Clone(t.Groups)
	out.Rules = slices.Clone(t.Rules)
	out.Default.Cells = slices.Clone(t.Default.Cells)
	out.Exceptions = slices.Clone(t.Exceptions)
	return &out
}

func absSources(c *Config, in []Source) []Source {
	out := slices.Clone(in)
	for i := range out {
		if out[i].Path != "" && c.Dir != "" && !filepath.IsAbs(out[i].Path) {
			out[i].Path = c.Path(out[i].Path)
		}
	}
	return out
}
