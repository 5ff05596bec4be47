package config

import (
	"bytes"
	"errors"

	"go.yaml.in/yaml/v3"
)

// ErrEmpty marks a policy file with nothing in it: no bytes, only
// whitespace or comments, or an empty mapping. Such a file is never a
// policy (an editor saving a file may leave it empty for a moment, and an
// empty policy would allow everything).
var ErrEmpty = errors.New("the policy file is empty")

// isEmpty reports whether a decoded YAML document holds no settings.
func isEmpty(root *yaml.Node) bool {
	n := root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return true
		}
		n = n.Content[0]
	}
	switch n.Kind {
	case 0:
		return true
	case yaml.MappingNode:
		return len(n.Content) == 0
	case yaml.ScalarNode:
		return n.Tag == "!!null"
	}
	return false
}

// blank reports whether data is only whitespace (which YAML may reject
// with a less helpful message: a tab cannot start a token).
func blank(data []byte) bool { return len(bytes.TrimSpace(data)) == 0 }
