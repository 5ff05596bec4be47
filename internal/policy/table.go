package policy

import "math/bits"

// The domain table keeps no strings: the entry that matches a host is always
// a suffix of that host, so each entry is stored as a 64-bit fingerprint of
// its name (FNV-1a over the name read right to left, then a 64-bit
// finalizer). Hashing a host right to left yields the fingerprint of every
// suffix on the way, one label at a time, so a lookup hashes the host once
// and probes once per label.
//
// The table is open addressing with linear probing over two flat arrays
// (keys, and a 16-bit index into the interned category sets), sized for a
// load factor of about 0.7: 8+2 bytes per slot, ~14 bytes per entry. Two
// distinct names collide only if their full 64-bit fingerprints are equal:
// with 2M entries and ~4 probes a lookup, a false match has odds of about
// 4·2M/2⁶⁴ ≈ 4e-13 per lookup.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fmix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	return h
}

// nameKey is the fingerprint of a whole canonical name.
func nameKey(s string) uint64 {
	h := uint64(fnvOffset)
	for i := len(s) - 1; i >= 0; i-- {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return fmix(h)
}

// maxSuffixes bounds the labels looked up per host (a DNS name has at most
// 127); hosts with more labels are matched on their last maxSuffixes.
const maxSuffixes = 32

// suffixKeys fills keys with the fingerprints of host's suffixes that start
// at a label boundary, shortest first, and offs with where each starts.
func suffixKeys(host string, keys *[maxSuffixes]uint64, offs *[maxSuffixes]uint8) int {
	h := uint64(fnvOffset)
	n := 0
	for i := len(host) - 1; i >= 0; i-- {
		c := host[i]
		if c == '.' && n < maxSuffixes {
			keys[n], offs[n] = fmix(h), uint8(min(i+1, 255))
			n++
		}
		h ^= uint64(c)
		h *= fnvPrime
	}
	if n < maxSuffixes {
		keys[n], offs[n] = fmix(h), 0
		n++
	}
	return n
}

type table struct {
	keys []uint64
	vals []uint16
	n    int // entries
}

func newTable(expected int) *table {
	t := &table{}
	t.alloc(max(64, expected*10/7))
	return t
}

func (t *table) alloc(slots int) {
	t.keys = make([]uint64, slots)
	t.vals = make([]uint16, slots)
}

func (t *table) slot(k uint64) int {
	hi, _ := bits.Mul64(k, uint64(len(t.keys)))
	return int(hi)
}

// get returns the value stored for k.
func (t *table) get(k uint64) (uint16, bool) {
	keys := t.keys
	if len(keys) == 0 {
		return 0, false
	}
	i := t.slot(k)
	for {
		switch keys[i] {
		case k:
			return t.vals[i], true
		case 0:
			return 0, false
		}
		if i++; i == len(keys) {
			i = 0
		}
	}
}

// upsert stores f(old, found) for k.
func (t *table) upsert(k uint64, f func(old uint16, found bool) uint16) {
	if (t.n+1)*4 > len(t.keys)*3 {
		t.resize(len(t.keys) * 2)
	}
	i := t.slot(k)
	for {
		switch t.keys[i] {
		case k:
			t.vals[i] = f(t.vals[i], true)
			return
		case 0:
			t.keys[i], t.vals[i] = k, f(0, false)
			t.n++
			return
		}
		if i++; i == len(t.keys) {
			i = 0
		}
	}
}

func (t *table) resize(slots int) {
	oldK, oldV := t.keys, t.vals
	t.alloc(slots)
	for j, k := range oldK {
		if k == 0 {
			continue
		}
		i := t.slot(k)
		for t.keys[i] != 0 {
			if i++; i == len(t.keys) {
				i = 0
			}
		}
		t.keys[i], t.vals[i] = k, oldV[j]
	}
}

// compact shrinks an over-allocated table to a load of about 0.7.
func (t *table) compact() {
	want := max(64, t.n*10/7)
	if len(t.keys) > want*3/2 {
		t.resize(want)
	}
}

// bytes is the memory the table holds.
func (t *table) bytes() int { return len(t.keys)*8 + len(t.vals)*2 }
