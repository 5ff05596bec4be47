package config

import (
	"reflect"
	"time"

	"go.yaml.in/yaml/v3"
)

// Lists configures downloaded list sources (url: sources).
type Lists struct {
	// CacheDir holds downloaded copies of url: sources. Default: "lists"
	// inside the data directory.
	CacheDir string
	// Refresh is how often `serve` downloads every url: source again
	// (conditionally, with ±10% jitter). Default 24h; 0 ("off"): serve
	// downloads nothing and only `schoolgate lists update` does.
	Refresh time.Duration
	// MaxAge is how old a url: source's copy may grow (since its last
	// successful check) before its category is reported as stale. Default
	// 7d; 0 ("off") never reports. A local path: list is never stale.
	MaxAge time.Duration

	refreshSet, maxAgeSet bool
}

// Defaults and bounds of the lists: section.
const (
	DefaultListRefresh = 24 * time.Hour
	DefaultListMaxAge  = 7 * 24 * time.Hour
	// MinListRefresh keeps serve from hammering the sites that publish
	// lists; conditional requests make a check cheap, not free.
	MinListRefresh = 10 * time.Minute
)

// listsYAML is the lists: section as written.
type listsYAML struct {
	CacheDir string `yaml:"cache_dir"`
	Refresh  string `yaml:"refresh"`
	MaxAge   string `yaml:"max_age"`
}

func (l *Lists) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	var raw listsYAML
	if err := d.decodeStruct(n, path, reflect.ValueOf(&raw).Elem()); err != nil {
		return err
	}
	l.CacheDir = raw.CacheDir
	l.applyDefaults()
	var err error
	if raw.Refresh != "" {
		at := valueNode(n, "refresh")
		if l.Refresh, err = parseSwitch(raw.Refresh); err != nil {
			return d.errf(at, join(path, "refresh"), "%v", err)
		}
		if l.Refresh != 0 && l.Refresh < MinListRefresh {
			return d.errf(at, join(path, "refresh"), "%s is too often (at least %s, or off)", raw.Refresh, MinListRefresh)
		}
		l.refreshSet = true
	}
	if raw.MaxAge != "" {
		at := valueNode(n, "max_age")
		if l.MaxAge, err = parseSwitch(raw.MaxAge); err != nil {
			return d.errf(at, join(path, "max_age"), "%v", err)
		}
		l.maxAgeSet = true
	}
	if l.MaxAge != 0 && l.Refresh != 0 && l.MaxAge < l.Refresh {
		field := "max_age"
		if raw.MaxAge == "" {
			field = "refresh"
		}
		return d.errf(valueNode(n, field), join(path, field), "lists.max_age (%s) is shorter than lists.refresh (%s): every list would be reported stale between two refreshes", l.MaxAge, l.Refresh)
	}
	return nil
}

func (l *Lists) applyDefaults() {
	if !l.refreshSet {
		l.Refresh = DefaultListRefresh
	}
	if !l.maxAgeSet {
		l.MaxAge = DefaultListMaxAge
	}
}

// parseSwitch reads a duration, or "off" (or 0) for none.
func parseSwitch(s string) (time.Duration, error) {
	if s == "off" {
		return 0, nil
	}
	return ParseDuration(s)
}

// valueNode is the value of key in mapping n (n itself if absent), for
// the line an error names.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return n
}
