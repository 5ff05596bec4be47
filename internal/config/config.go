// Package config holds Schoolgate's typed policy file. It is loaded strictly
// (unknown keys are errors that name file, line and field), passed in to the
// parts that need it and never kept in a global.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrInvalid is wrapped by every error about the content of a policy file.
var ErrInvalid = errors.New("invalid policy")

// Config is the whole policy file. Sections that later parts of Schoolgate
// read (dns, proxy, storage, ...) live in files of their own.
type Config struct {
	Site         Site                 `yaml:"site"`
	Categories   Ordered[Category]    `yaml:"categories"`
	Schedules    map[string][]Window  `yaml:"schedules"`
	Groups       Ordered[Group]       `yaml:"groups"`
	DefaultGroup string               `yaml:"default_group"`
	Rules        Ordered[Row]         `yaml:"rules"`
	Default      Row                  `yaml:"default"`
	Exceptions   []Exception          `yaml:"exceptions"`
	Lists        Lists                `yaml:"lists"`
	Identity     Identity             `yaml:"identity"`
	DNS          DNS                  `yaml:"dns"`
	Proxy        Proxy                `yaml:"proxy"`
	BlockPage    BlockPage            `yaml:"blockpage"`
	Admin        Admin                `yaml:"admin"`
	Storage      Storage              `yaml:"storage"`
	Retention    Retention            `yaml:"retention"`
	AUA          Ordered[AUA]         `yaml:"aua"`
	Limits       Limits               `yaml:"limits"`
	Console      Console              `yaml:"console"`
	Alerts       Alerts               `yaml:"alerts"`
	Keywords     Ordered[KeywordList] `yaml:"keywords"`
	Incidents    Incidents            `yaml:"incidents"`
	Sanctions    Sanctions            `yaml:"sanctions"`
	Selftest     Selftest             `yaml:"selftest"`
	PortalAllow  PortalAllow          `yaml:"portal_allow"` // the portal's walled garden (portal_allow.go)
	Extends      string               `yaml:"extends"`      // a school's file: the trust's (compose.go)
	Relaxable    []string             `yaml:"relaxable"`    // a trust's file: rows schools may relax
	Sites        Ordered[SiteEntry]   `yaml:"sites"`        // a trust's file: its schools
	Composed     *Composition         `yaml:"-"`            // set by Compose: what the school changed
	keys         map[string]int       // top-level keys given, with their lines
	Activity     Activity             `yaml:"activity"`

	// File is the absolute path the config was read from; Dir its folder,
	// against which relative paths are resolved.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
}

// Site describes the school.
type Site struct {
	// ID names the school in every record it owns (a trust runs
	// several; lower-case letters, digits and hyphens; default "school").
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Timezone string `yaml:"timezone"`
	// SchoolDayEnd (HH:MM, site time), when set, caps a teacher's grants.
	SchoolDayEnd string `yaml:"school_day_end"`
}

// Category is one named category and the lists that make it.
type Category struct {
	Title     string   `yaml:"title"`
	Illegal   bool     `yaml:"illegal"`
	Locked    bool     `yaml:"locked"` // no grant, request or exception opens it (illegal implies it)
	NoInspect bool     `yaml:"no_inspect"`
	Sources   []Source `yaml:"sources"`
	Line      int      `yaml:"-"`
}

// Source is one list file (path) or download (url) in a given format.
type Source struct {
	Path   string `yaml:"path"`
	URL    string `yaml:"url"`
	Format string `yaml:"format"`
	Line   int    `yaml:"-"`
}

// Window is one weekly time window of a schedule.
type Window struct {
	Days []string `yaml:"days"`
	From string   `yaml:"from"`
	To   string   `yaml:"to"`
	Line int      `yaml:"-"`
}

// Group is a set of clients: by network, by user name, or both.
type Group struct {
	Networks   []string `yaml:"networks"`
	Users      []string `yaml:"users"`
	SafeSearch string   `yaml:"safesearch"`
	Portal     bool     `yaml:"portal"` // unidentified clients get the sign-in page (portal.go)
	Line       int      `yaml:"-"`
}

// Exception allows or blocks hosts (or host/path prefixes) before the rules.
type Exception struct {
	Hosts   []string `yaml:"hosts"`
	Verdict string   `yaml:"verdict"`
	Groups  []string `yaml:"groups"`
	Reason  string   `yaml:"reason"`
	Until   string   `yaml:"until"`
	Line    int      `yaml:"-"`
}

// Load reads and strictly decodes the policy file at path. It checks the
// shape of the file only; policy.Compile checks its meaning.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	return Parse(path, abs, data)
}

// Parse decodes policy file content. name is used in messages; abs locates
// relative paths.
func Parse(name, abs string, data []byte) (*Config, error) {
	var root yaml.Node
	if blank(data) {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrInvalid, ErrEmpty)
	}
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, ErrInvalid, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if isEmpty(&root) {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrInvalid, ErrEmpty)
	}
	c := &Config{File: abs, Dir: filepath.Dir(abs)}
	d := &decoder{file: name}
	if len(root.Content) > 0 {
		if err := d.decode(&root, "", reflectValue(c)); err != nil {
			return nil, err
		}
	}
	c.keys = topKeys(&root)
	if err := c.applyDefaults(); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrInvalid, err)
	}
	if c.Extends != "" {
		return c, nil // a school's part: checked once composed (Compose)
	}
	return c.check(name)
}

// check runs the sections' own checks on a whole policy.
func (c *Config) check(name string) (*Config, error) {
	if err := c.validateKeywords(name); err != nil {
		return nil, err
	}
	// The server sections check their own values, so that `schoolgate
	// validate` catches what `serve` would refuse.
	for _, v := range []func() error{c.DNS.Validate, c.Proxy.Validate, c.Limits.Validate, c.BlockPage.Validate, c.Console.Validate, c.Site.validateDayEnd, c.Site.validateID, c.Incidents.validate, c.Identity.validateOIDC, c.Sanctions.validate, c.validatePortal, func() error { return c.Alerts.Validate(c) }} {
		if err := v(); err != nil {
			if errors.Is(err, ErrInvalid) {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			return nil, fmt.Errorf("%s: %w: %w", name, ErrInvalid, err)
		}
	}
	if err := c.Selftest.Validate(c); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrInvalid, err)
	}
	return c, nil
}

// Path resolves p against the config file's folder.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

func (c *Config) applyDefaults() error {
	if c.Site.Timezone == "" {
		c.Site.Timezone = "UTC"
	}
	if c.Site.ID == "" {
		c.Site.ID = DefaultSiteID
	}
	c.Lists.applyDefaults()
	c.DNS.applyDefaults()
	c.Proxy.applyDefaults()
	c.BlockPage.applyDefaults()
	c.Admin.applyDefaults()
	c.Retention.applyDefaults()
	c.Console.applyDefaults()
	return nil
}
