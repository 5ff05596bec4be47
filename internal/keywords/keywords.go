// Package keywords matches text (search terms) against safeguarding
// keyword lists: one phrase a line, matched on whole words after
// normalisation (case, accents, repeated letters, character swaps,
// separators), optionally within one edit for long words, with
// exclusions ("kill the lights" is not a threat while "kill" is listed).
//
// Every phrase of every list goes into one word trie, walked from each
// word of the text, so the cost of a match grows with the length of the
// text and of the longest phrase, not with the number of phrases; words
// within one edit are found through an index of their deletion
// neighbourhoods, never by scanning the phrases.
package keywords

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxWords bounds the words of one phrase.
const MaxWords = 8

// FuzzyMinLetters is the length from which a word of a fuzzy phrase also
// matches the words within one edit of it (a letter added, dropped,
// changed, or two neighbours swapped).
const FuzzyMinLetters = 6

var (
	// ErrNoWords: a phrase has nothing left to match after normalisation
	// (only punctuation, say).
	ErrNoWords = errors.New("no words to match")
	// ErrTooLong: a phrase has more than MaxWords words.
	ErrTooLong = fmt.Errorf("more than %d words", MaxWords)
	// ErrDuplicateList: two lists have one name.
	ErrDuplicateList = errors.New("list named twice")
	// ErrNoName: a list has no name.
	ErrNoName = errors.New("list has no name")
)

// List is one keyword list to compile.
type List struct {
	Name string
	// Phrases match on whole words. A phrase ending in "~" also matches
	// with one edit in each of its words of FuzzyMinLetters letters or
	// more ("suicide~" matches "suicdie" and "suiside").
	Phrases []string
	// Exclusions cancel a hit of this list's phrases that lies inside
	// them in the text. They match exactly (after normalisation), never
	// within an edit: the stricter answer.
	Exclusions []string
	// Fuzzy makes every phrase of the list fuzzy, as if it ended in "~".
	Fuzzy bool
}

// Hit is one phrase found in a text.
type Hit struct {
	List   string
	Phrase string // as the list writes it
}

// Set is every compiled keyword list; safe for concurrent use, immutable.
type Set struct {
	lists   []string // sorted: a list's index is its rank by name
	phrases []phrase
	// forms maps a word's skeleton to the words (skeleton and runs) of
	// the phrases that have it; a word's symbol is its index in words.
	forms map[string][]uint32
	words [][]uint8 // runs of each word
	// fuzzy holds the skeletons of the fuzzy words; a fuzzy word's
	// symbol is its index there, with fuzzyBit set.
	fuzzy    fuzzyIndex
	maxWords int
	edges    map[uint64]uint32 // node<<32 | symbol → child node
	ends     [][]end           // the phrases that end at each node
	warnings []string
	pool     sync.Pool
}

type phrase struct {
	list int
	text string
}

type end struct {
	phrase  int32
	exclude bool
}

// fuzzyBit marks the symbol of a fuzzy word (its index in fuzzy.words)
// as opposed to an exact one (its index in words).
const fuzzyBit = 1 << 31

// Compile builds the Set of lists. A phrase that is empty after
// normalisation or too long is an error naming the list and phrase.
func Compile(lists []List) (*Set, error) {
	s := &Set{
		forms: map[string][]uint32{},
		edges: map[uint64]uint32{},
		ends:  [][]end{nil},
	}
	s.pool.New = func() any { return new(scratch) }
	order := make([]int, len(lists))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(lists[a].Name, lists[b].Name) })
	var w words
	for rank, i := range order {
		l := lists[i]
		if l.Name == "" {
			return nil, ErrNoName
		}
		if rank > 0 && s.lists[rank-1] == l.Name {
			return nil, fmt.Errorf("keyword list %s: %w", l.Name, ErrDuplicateList)
		}
		s.lists = append(s.lists, l.Name)
		add := func(text string, exclude bool) error {
			body, tilde := strings.CutSuffix(strings.TrimSpace(text), "~")
			fuzzy := (tilde || l.Fuzzy) && !exclude
			w.reset()
			w.read(body)
			if len(w.toks) == 0 {
				return fmt.Errorf("keyword list %s: %q: %w", l.Name, text, ErrNoWords)
			}
			if len(w.toks) > MaxWords {
				return fmt.Errorf("keyword list %s: %q: %w", l.Name, text, ErrTooLong)
			}
			p := int32(len(s.phrases))
			s.phrases = append(s.phrases, phrase{list: rank, text: text})
			syms := make([]uint32, len(w.toks))
			for k := range w.toks {
				syms[k] = s.symbol(w.skel(k), w.runsOf(k), fuzzy)
			}
			s.insert(syms, end{p, exclude})
			if len(w.toks) > 1 { // "self harm" also as "selfharm"
				n := len(w.toks)
				sk, runs := w.joined(0, n)
				s.insert([]uint32{s.symbol(sk, runs, fuzzy)}, end{p, exclude})
			}
			s.maxWords = max(s.maxWords, len(w.toks))
			return nil
		}
		for _, ph := range l.Phrases {
			if err := add(ph, false); err != nil {
				return nil, err
			}
		}
		for _, ph := range l.Exclusions {
			if err := add(ph, true); err != nil {
				return nil, err
			}
		}
	}
	s.fuzzy.seal()
	return s, nil
}

// symbol is the trie symbol of one word of a phrase: fuzzy when the
// phrase is and the word long enough, else the exact word.
func (s *Set) symbol(sk []byte, runs []uint8, fuzzy bool) uint32 {
	if fuzzy && letters(runs, sk) >= FuzzyMinLetters {
		return s.fuzzy.add(string(sk)) | fuzzyBit
	}
	for _, id := range s.forms[string(sk)] {
		if slices.Equal(s.words[id], runs) {
			return id
		}
	}
	id := uint32(len(s.words))
	s.words = append(s.words, slices.Clone(runs))
	s.forms[string(sk)] = append(s.forms[string(sk)], id)
	return id
}

// letters counts the letters of a word as written (before its runs were
// collapsed).
func letters(runs []uint8, sk []byte) int {
	n := 0
	for p := 0; p < len(sk); {
		_, size := utf8.DecodeRune(sk[p:])
		n += int(runs[p])
		p += size
	}
	return n
}

func (s *Set) insert(syms []uint32, e end) {
	node := uint32(0)
	for _, sym := range syms {
		key := uint64(node)<<32 | uint64(sym)
		child, ok := s.edges[key]
		if !ok {
			child = uint32(len(s.ends))
			s.ends = append(s.ends, nil)
			s.edges[key] = child
		}
		node = child
	}
	for _, old := range s.ends[node] {
		if old == e {
			return
		}
	}
	s.ends[node] = append(s.ends[node], e)
}

// Lists names the compiled lists, sorted.
func (s *Set) Lists() []string { return slices.Clone(s.lists) }

// Phrases counts the phrases and exclusions of every list.
func (s *Set) Phrases() int { return len(s.phrases) }

// Warnings are what Load found worth saying without refusing the lists
// (a url: source not downloaded yet, a list with no phrases).
func (s *Set) Warnings() []string { return slices.Clone(s.warnings) }
