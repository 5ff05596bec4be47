package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Node is a node file (`serve --site NAME --node FILE`): the settings of
// one node of a school (its listeners, DNS upstreams and the way to the
// database), never policy, which comes from the database.
type Node struct {
	// Config is the file decoded as a policy file (so its values are
	// checked as serve would); only node settings are in it.
	*Config
	// sections are the file's top-level keys and values.
	sections []*yaml.Node
}

// nodeKeys are the settings a node file may hold: for each section, the
// keys allowed in it ("*": any).
var nodeKeys = map[string][]string{
	"dns":       {"listen", "upstreams", "upstream_ca"},
	"proxy":     {"listen"},
	"blockpage": {"listen"},
	"console":   {"*"},
	"admin":     {"*"},
	"storage":   {"postgres_file"},
	"activity":  {"spool_max"},
}

// nodePaths are the node settings that name files, resolved against the
// node file's folder (the effective policy is written elsewhere).
var nodePaths = [][]string{{"dns", "upstream_ca"}, {"console", "tls", "cert_file"}, {"console", "tls", "key_file"}, {"storage", "postgres_file"}}

// LoadNode reads a node file. A key that is not a node setting is an
// error naming its line: policy is pushed to the database, never kept on
// a node.
func LoadNode(path string) (*Node, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("node file %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("node file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", path, ErrInvalid, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	n := &Node{}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, &Error{File: path, Line: root.Line, Msg: "a node file is a mapping of node settings"}
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			allowed, ok := nodeKeys[k.Value]
			if !ok {
				return nil, &Error{File: path, Line: k.Line, Field: k.Value, Msg: "not a node setting: policy comes from the database (`schoolgate policy push`); a node file holds only " + nodeKeyList()}
			}
			if allowed[0] != "*" && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					sub := v.Content[j]
					if !slices.Contains(allowed, sub.Value) {
						return nil, &Error{File: path, Line: sub.Line, Field: k.Value + "." + sub.Value, Msg: "not a node setting: policy comes from the database (`schoolgate policy push`); a node file holds only " + nodeKeyList()}
					}
				}
			}
			n.sections = append(n.sections, k, v)
		}
	}
	dir := filepath.Dir(abs)
	for _, p := range nodePaths {
		if s := lookup(n.sections, p); s != nil && s.Value != "" && !filepath.IsAbs(s.Value) {
			s.Value = filepath.Join(dir, s.Value)
		}
	}
	n.Config, err = Parse(path, abs, data)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func nodeKeyList() string {
	return "dns.listen, dns.upstreams, dns.upstream_ca, proxy.listen, blockpage.listen, console.*, admin.*, activity.spool_max and storage.postgres_file"
}

// lookup finds the value at a path of keys in a mapping's content.
func lookup(content []*yaml.Node, path []string) *yaml.Node {
	for i := 0; i+1 < len(content); i += 2 {
		if content[i].Value != path[0] {
			continue
		}
		v := content[i+1]
		if len(path) == 1 {
			return v
		}
		if v.Kind != yaml.MappingNode {
			return nil
		}
		return lookup(v.Content, path[1:])
	}
	return nil
}

// CheckSiteID checks a site id given on the command line (--site): the
// pattern of site.id.
func CheckSiteID(id string) error {
	return Site{ID: id}.validateID()
}
