package policy

import "math/bits"

// MaxCategories and MaxGroups bound a policy; both fit a Set.
const (
	MaxCategories = 256
	MaxGroups     = 256
)

// Set is a small bit set of category or group indices. It is a value type
// so a decision never allocates for it.
type Set [4]uint64

// Add puts i in the set.
func (s *Set) Add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether i is in the set.
func (s Set) Has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

// Or returns the union.
func (s Set) Or(o Set) Set { return Set{s[0] | o[0], s[1] | o[1], s[2] | o[2], s[3] | o[3]} }

// And returns the intersection.
func (s Set) And(o Set) Set { return Set{s[0] & o[0], s[1] & o[1], s[2] & o[2], s[3] & o[3]} }

// AndNot returns s without o.
func (s Set) AndNot(o Set) Set {
	return Set{s[0] &^ o[0], s[1] &^ o[1], s[2] &^ o[2], s[3] &^ o[3]}
}

// Empty reports whether no bit is set.
func (s Set) Empty() bool { return s[0]|s[1]|s[2]|s[3] == 0 }

// Each calls f for every member in ascending order.
func (s Set) Each(f func(int)) {
	for w, word := range s {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			f(w*64 + b)
			word &^= 1 << uint(b)
		}
	}
}

// Count is the number of members.
func (s Set) Count() int {
	return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) + bits.OnesCount64(s[2]) + bits.OnesCount64(s[3])
}

// First returns the lowest member, or -1.
func (s Set) First() int {
	for w, word := range s {
		if word != 0 {
			return w*64 + bits.TrailingZeros64(word)
		}
	}
	return -1
}

func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }
