package policy

import (
	"math/bits"
	"unsafe"
)

// The domain table keeps no strings: the entry that matches a host is always
// a suffix of that host, so each entry is stored as a 64-bit fingerprint of
// its name (FNV-1a over the name read right to left, then a 64-bit
// finalizer). Hashing a host right to left yields the fingerprint of every
// suffix on the way, one label at a time, so a lookup hashes the host once
// and probes once per label.
//
// The table is open addressing over 64-byte buckets, one cache line each:
// six 64-bit keys and six 16-bit indexes into the interned category sets.
// A probe touches one cache line, and the probes of a host's suffixes are
// independent loads the CPU overlaps. At a load of about 0.8 that is ~13
// bytes an entry. Two distinct names collide only if their full 64-bit
// fingerprints are equal: with 2M entries and about three probes a
// lookup, a false match has odds of about 3·2M/2⁶⁴ ≈ 3e-13 per lookup.

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

// hostByte marks the bytes a canonical host may hold.
var hostByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t[':'] = true, true, true, true
	return t
}()

// suffixKeys fills keys with the fingerprints of host's suffixes that start
// at a label boundary, shortest first, and offs with where each starts. It
// reports false when host holds a byte a canonical host cannot.
func suffixKeys(host string, keys *[maxSuffixes]uint64, offs *[maxSuffixes]uint8) (int, bool) {
	h := uint64(fnvOffset)
	n := 0
	ok := true
	for i := len(host) - 1; i >= 0; i-- {
		c := host[i]
		ok = ok && hostByte[c]
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
	return n, ok
}

const bucketSlots = 6

type bucket struct {
	keys [bucketSlots]uint64
	vals [bucketSlots]uint16
	_    [64 - bucketSlots*10]byte
}

var _ [64 - unsafe.Sizeof(bucket{})]struct{} // a bucket is one cache line

type table struct {
	b []bucket
	n int // entries
	// singleLabel is set when some entry is a bare TLD; otherwise lookups
	// skip the TLD probe.
	singleLabel bool
	f           filter
}

// newTable sizes a table for about expected entries at a load of 0.8.
func newTable(expected int) *table {
	t := &table{}
	t.alloc(bucketsFor(expected))
	return t
}

func bucketsFor(entries int) int {
	return max(4, (entries*5/4+bucketSlots-1)/bucketSlots)
}

func (t *table) alloc(buckets int) { t.b = make([]bucket, buckets) }

func (t *table) home(k uint64) int {
	hi, _ := bits.Mul64(k, uint64(len(t.b)))
	return int(hi)
}

// get returns the value stored for k.
func (t *table) get(k uint64) (uint16, bool) {
	bs := t.b
	if len(bs) == 0 {
		return 0, false
	}
	i := t.home(k)
	for {
		b := &bs[i]
		for j := 0; j < bucketSlots; j++ {
			switch b.keys[j] {
			case k:
				return b.vals[j], true
			case 0:
				return 0, false
			}
		}
		if i++; i == len(bs) {
			i = 0
		}
	}
}

// lookup finds the keys in the table, writing the hits' values. Keys the
// filter refuses are not looked up. The first pass reads the first slot of
// every remaining key's home bucket, each load independent of the others,
// so their cache misses overlap; the second pass, for keys not settled by
// that first slot, then finds their buckets in cache.
func (t *table) lookup(keys []uint64, vals *[maxSuffixes]uint16, found *[maxSuffixes]bool) int {
	var pending [maxSuffixes]bool
	hits, more := 0, false
	for i, k := range keys {
		if !t.f.has(k) {
			continue
		}
		b := &t.b[t.home(k)]
		switch b.keys[0] {
		case k:
			vals[i], found[i] = b.vals[0], true
			hits++
		case 0:
		default:
			pending[i], more = true, true
		}
	}
	if !more {
		return hits
	}
	for i, k := range keys {
		if pending[i] {
			if v, ok := t.get(k); ok {
				vals[i], found[i] = v, true
				hits++
			}
		}
	}
	return hits
}

// upsert stores f(old, found) for k.
func (t *table) upsert(k uint64, f func(old uint16, found bool) uint16) {
	if (t.n+1)*10 > len(t.b)*bucketSlots*9 {
		t.resize(len(t.b) * 2)
	}
	i := t.home(k)
	for {
		b := &t.b[i]
		for j := 0; j < bucketSlots; j++ {
			switch b.keys[j] {
			case k:
				b.vals[j] = f(b.vals[j], true)
				return
			case 0:
				b.keys[j], b.vals[j] = k, f(0, false)
				t.n++
				return
			}
		}
		if i++; i == len(t.b) {
			i = 0
		}
	}
}

func (t *table) resize(buckets int) {
	old := t.b
	t.alloc(buckets)
	for bi := range old {
		ob := &old[bi]
		for j := 0; j < bucketSlots; j++ {
			if k := ob.keys[j]; k != 0 {
				t.place(k, ob.vals[j])
			}
		}
	}
}

func (t *table) place(k uint64, v uint16) {
	i := t.home(k)
	for {
		b := &t.b[i]
		for j := 0; j < bucketSlots; j++ {
			if b.keys[j] == 0 {
				b.keys[j], b.vals[j] = k, v
				return
			}
		}
		if i++; i == len(t.b) {
			i = 0
		}
	}
}

// compact shrinks an over-allocated table to a load of about 0.8.
func (t *table) compact() {
	if want := bucketsFor(t.n); len(t.b) > want*3/2 {
		t.resize(want)
	}
}

// bytes is the memory the table and its filter hold.
func (t *table) bytes() int { return len(t.b)*int(unsafe.Sizeof(bucket{})) + t.f.bytes() }
