package config

import (
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Entry is one key of an ordered mapping, with the line it was declared on.
type Entry[T any] struct {
	Name  string
	Value T
	Line  int
}

// Ordered is a YAML mapping whose declaration order matters (groups are
// matched first to last). It decodes from the node's order, never through a
// Go map.
type Ordered[T any] []Entry[T]

// Get returns the value named name.
func (o Ordered[T]) Get(name string) (T, bool) {
	for _, e := range o {
		if e.Name == name {
			return e.Value, true
		}
	}
	var zero T
	return zero, false
}

// Names lists the keys in declaration order.
func (o Ordered[T]) Names() []string {
	out := make([]string, len(o))
	for i, e := range o {
		out[i] = e.Name
	}
	return out
}

func (o *Ordered[T]) decodeNode(d *decoder, n *yaml.Node, path string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a mapping, not a %s", kindName(n.Kind))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if first, dup := seen[k.Value]; dup {
			return d.errf(k, join(path, k.Value), "given twice (first on line %d)", first)
		}
		seen[k.Value] = k.Line
		var e Entry[T]
		e.Name, e.Line = k.Value, k.Line
		if err := d.decode(val, join(path, k.Value), reflect.ValueOf(&e.Value).Elem()); err != nil {
			return err
		}
		*o = append(*o, e)
	}
	return nil
}

// Row is one line of the rules table: an ordered mapping from group name (or
// "others") to a cell such as "allow" or "allow during social-time". A bare
// scalar (as `default: allow`) is read as {others: VALUE}.
type Row struct {
	Cells Ordered[string]
	Line  int
	Set   bool
	// Bare is set when the row was written as a single verdict.
	Bare bool
}

func (r *Row) decodeNode(d *decoder, n *yaml.Node, path string) error {
	r.Line = n.Line
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		r.Set, r.Bare = true, true
		r.Cells = Ordered[string]{{Name: "others", Value: n.Value, Line: n.Line}}
		return nil
	case yaml.MappingNode:
		r.Set = true
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i+1].Kind != yaml.ScalarNode {
				return d.errf(n.Content[i+1], join(path, n.Content[i].Value), "a cell is a single value such as allow, block, warn, permission or \"allow during SCHEDULE\"")
			}
		}
		return r.Cells.decodeNode(d, n, path)
	}
	return d.errf(n, path, "expected a verdict or a mapping of group: verdict")
}

func reflectValue(c *Config) reflect.Value { return reflect.ValueOf(c).Elem() }
