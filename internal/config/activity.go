package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Activity holds the node's own settings for its activity log (a node
// setting: with `serve --site --node` it belongs in the node's file).
type Activity struct {
	// SpoolMax bounds the local spool under the data directory that
	// keeps the events the database refuses until it returns (default
	// 1GiB; when full, the oldest spooled events are dropped first and
	// counted).
	SpoolMax ByteSize `yaml:"spool_max"`
}

// ByteSize is a size in bytes, written as a number with an optional unit:
// B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024).
type ByteSize int64

var byteUnits = []struct {
	suffix string
	n      int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}

// ParseByteSize reads a size such as 1GiB, 500MB or 1048576.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	unit := int64(1)
	num := s
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, unit = strings.TrimSpace(n), u.n
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 || v*float64(unit) >= 1<<62 {
		return 0, fmt.Errorf("bad size %q (use e.g. 1GiB, 500MiB, 200MB)", s)
	}
	return ByteSize(v * float64(unit)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := ParseByteSize(string(t))
	if err != nil {
		return err
	}
	*b = v
	return nil
}
