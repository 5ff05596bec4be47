package config

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// LoadComposed loads a policy file. A school's file (one with extends:) is
// composed with the trust's file it names, relative to its own folder, for
// the site its site.id names; any other file is loaded as it is.
func LoadComposed(path string) (*Config, error) {
	school, err := Load(path)
	if err != nil || school.Extends == "" {
		return school, err
	}
	trust, err := Load(school.Path(school.Extends))
	if err != nil {
		return nil, fmt.Errorf("%s: extends: %w", path, err)
	}
	if trust.Extends != "" {
		return nil, &Error{File: fileOf(trust), Line: trust.keys["extends"], Field: "extends", Msg: "a trust's policy extends nothing: only one level (school extends trust)"}
	}
	return Compose(trust, school, school.Site.ID)
}

// topKeys lists a file's top-level keys with their lines.
func topKeys(root *yaml.Node) map[string]int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	keys := map[string]int{}
	if n.Kind != yaml.MappingNode {
		return keys
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys[n.Content[i].Value] = n.Content[i].Line
	}
	return keys
}
