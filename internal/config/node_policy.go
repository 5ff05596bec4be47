package config

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"
)

// NodeRewrite says how a pushed policy file becomes the file a node runs.
type NodeRewrite struct {
	// Lists maps each path: source as the pushed file writes it to the
	// node's local copy of its content.
	Lists map[string]string
	// CacheDir is where the node keeps its copies of url: sources.
	CacheDir string
	// Extends, when set, replaces the file's extends: (a school's file
	// names the node's local copy of the trust's).
	Extends string
}

// ApplyNode rewrites pushed policy content for this node: its node
// settings replace the policy's (the console and admin sections whole,
// the listeners and upstreams key by key), storage is left out (the node
// reaches the database itself), every path: list points at the node's
// copy (a list the version does not carry is an error: the node would
// quietly filter without it), and url: lists are read from the node's
// cache and never downloaded (lists.refresh off).
func (n *Node) ApplyNode(content []byte, rw NodeRewrite) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("pushed policy: %w: %v", ErrInvalid, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("pushed policy: %w: not a mapping", ErrInvalid)
	}
	root := doc.Content[0]
	deleteKey(root, "storage")
	school := rw.Extends != ""
	if school {
		// A school's file over the trust's copy: the node's settings are
		// on the trust's copy already, and a school's section would
		// replace the trust's whole (Compose), dropping its policy keys.
		for _, k := range nodeSections() {
			deleteKey(root, k)
		}
	}
	for i := 0; i+1 < len(n.sections) && !school; i += 2 {
		k, v := n.sections[i].Value, n.sections[i+1]
		switch k {
		case "storage":
		case "console", "admin":
			setKey(root, k, v)
		default:
			sec := mapping(root, k)
			if v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					setKey(sec, v.Content[j].Value, v.Content[j+1])
				}
			}
		}
	}
	for _, section := range []string{"categories", "keywords"} {
		if err := rewriteSources(lookup(root.Content, []string{section}), section, rw.Lists); err != nil {
			return nil, err
		}
	}
	if rw.Extends != "" {
		// A school's file: lists: is the trust's (its copy says it).
		setKey(root, "extends", scalar(rw.Extends))
	} else {
		lists := mapping(root, "lists")
		setKey(lists, "cache_dir", scalar(rw.CacheDir))
		setKey(lists, "refresh", scalar("off"))
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("node policy: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("node policy: %w", err)
	}
	return buf.Bytes(), nil
}

// rewriteSources points every path: source of a categories: or keywords:
// section at its local copy.
func rewriteSources(sec *yaml.Node, section string, local map[string]string) error {
	if sec == nil || sec.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		srcs := lookup(sec.Content[i+1].Content, []string{"sources"})
		if srcs == nil || srcs.Kind != yaml.SequenceNode {
			continue
		}
		for _, src := range srcs.Content {
			p := lookup(src.Content, []string{"path"})
			if p == nil || p.Value == "" {
				continue
			}
			to, ok := local[p.Value]
			if !ok {
				return fmt.Errorf("pushed policy: line %d: %s.%s: %w: list %s is not in the version", p.Line, section, sec.Content[i].Value, ErrInvalid, p.Value)
			}
			p.Value = to
		}
	}
	return nil
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

// mapping returns the mapping under key, adding an empty one (or
// replacing a null) when there is none.
func mapping(m *yaml.Node, key string) *yaml.Node {
	if v := lookup(m.Content, []string{key}); v != nil && v.Kind == yaml.MappingNode {
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	setKey(m, key, v)
	return v
}

// setKey sets key's value in mapping m, appending the key if it is new.
func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key), v)
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// NodeSectionsIn names the node-setting sections a school's file sets
// (those of nodeKeys). Pushed for a node,
// they would be dropped: in a trust they are the trust's policy and the
// node file's settings.
func NodeSectionsIn(c *Config) []string {
	var out []string
	for _, k := range nodeSections() {
		if _, ok := c.keys[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// nodeSections are the sections that hold node settings (nodeKeys'), in
// a fixed order.
func nodeSections() []string {
	return slices.Sorted(maps.Keys(nodeKeys))
}
