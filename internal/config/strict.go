package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// nodeUnmarshaler is implemented by types that decode themselves from a
// YAML node and want the strict decoder to hand them the raw node (ordered
// mappings, cells, durations).
type nodeUnmarshaler interface {
	decodeNode(d *decoder, n *yaml.Node, path string) error
}

// decoder walks a yaml.Node tree into Go values. Unlike yaml.v3's own
// Node.Decode it rejects unknown keys at every depth and reports the file,
// line and dotted field path of every problem.
type decoder struct {
	file string
}

// Error is a configuration problem located in a file.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Unwrap makes every located error an ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (d *decoder) errf(n *yaml.Node, path, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: d.file, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.CanAddr() {
		if nu, ok := v.Addr().Interface().(nodeUnmarshaler); ok {
			return nu.decodeNode(d, n, path)
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshalerType) {
		if n.Kind != yaml.ScalarNode {
			return d.errf(n, path, "expected a single value")
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			return d.errf(n, path, "%v", err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(n, path, v.Elem())
	case reflect.Struct:
		return d.decodeStruct(n, path, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			// A single value where a list is expected is a one-item list.
			if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
				v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), reflect.ValueOf(n.Value).Convert(v.Type().Elem())))
				return nil
			}
			return d.errf(n, path, "expected a list")
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if err := d.decode(c, fmt.Sprintf("%s[%d]", path, i), s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return d.errf(n, path, "expected a mapping")
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			ev := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(val, join(path, k.Value), ev); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), ev)
		}
		v.Set(m)
		return nil
	default:
		if n.Kind != yaml.ScalarNode {
			return d.errf(n, path, "expected a single value, not a %s", kindName(n.Kind))
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return d.errf(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return nil
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, path, "expected a mapping, not a %s", kindName(n.Kind))
	}
	t := v.Type()
	if lf := v.FieldByName("Line"); lf.IsValid() && lf.Kind() == reflect.Int {
		lf.SetInt(int64(n.Line))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx := fieldIndex(t, k.Value)
		if idx < 0 {
			return d.errf(k, join(path, k.Value), "unknown field (known: %s)", strings.Join(fieldNames(t), ", "))
		}
		if seen[k.Value] {
			return d.errf(k, join(path, k.Value), "given twice")
		}
		seen[k.Value] = true
		if err := d.decode(val, join(path, k.Value), v.Field(idx)); err != nil {
			return err
		}
	}
	return nil
}

func fieldIndex(t reflect.Type, key string) int {
	for i := 0; i < t.NumField(); i++ {
		if tagName(t.Field(i)) == key {
			return i
		}
	}
	return -1
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if name := tagName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func tagName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	if tag == "-" || !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	return name
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "node"
}
