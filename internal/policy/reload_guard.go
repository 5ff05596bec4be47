package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrReloadRefused marks a new policy that validates but looks like an
// accident (a file caught half written): applying it would quietly allow
// what the running policy blocks.
var ErrReloadRefused = errors.New("reload refused")

// Shrinks is the check an unattended reload (the file watcher) passes. It
// refuses a new policy that removes a category or a rules row (a file cut
// short loses its rules, and the default then allows), empties a
// category's lists, holds less than half of the running policy's list
// entries, or loses dns.upstreams. An operator applies such a policy on
// purpose with SIGHUP or `schoolgate reload --force`.
func Shrinks(old, next *Snapshot) error {
	var why []string
	var gone []string
	for _, c := range old.Categories() {
		if _, ok := next.CategoryIndex(c); !ok {
			gone = append(gone, c)
		}
	}
	if len(gone) > 0 {
		why = append(why, "it removes the categories "+strings.Join(gone, ", "))
	}
	// A list file caught empty leaves its category in place with nothing
	// in it: as good as removed.
	had, has := categoryEntries(old), categoryEntries(next)
	var emptied []string
	for _, c := range next.Categories() {
		if had[c] > 0 && has[c] == 0 {
			emptied = append(emptied, c)
		}
	}
	if len(emptied) > 0 {
		why = append(why, "its lists for "+strings.Join(emptied, ", ")+" are empty")
	}
	var rows []string
	for _, r := range old.Config().Rules.Names() {
		if _, ok := next.Config().Rules.Get(r); !ok {
			rows = append(rows, r)
		}
	}
	if len(rows) > 0 {
		why = append(why, "it removes the rules rows "+strings.Join(rows, ", "))
	}
	if next.Entries()*2 < old.Entries() {
		why = append(why, fmt.Sprintf("it has %d list entries, less than half of the %d in force", next.Entries(), old.Entries()))
	}
	if len(old.Config().DNS.Upstreams) > 0 && len(next.Config().DNS.Upstreams) == 0 {
		why = append(why, "it has no dns.upstreams")
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (apply it on purpose with SIGHUP or `schoolgate reload --force`)", ErrReloadRefused, strings.Join(why, "; "))
}

// categoryEntries is each category's list entries, summed over its
// sources.
func categoryEntries(s *Snapshot) map[string]int {
	m := map[string]int{}
	for _, src := range s.Sources() {
		m[src.Category] += src.Entries
	}
	return m
}

// ReloadIf is Reload with a check: the new snapshot replaces the running
// one only if check(running, new) returns nil (a nil check accepts any
// policy that compiles). On error the running snapshot stays.
func (e *Engine) ReloadIf(check func(old, next *Snapshot) error) (*Snapshot, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.path == "" {
		return nil, fmt.Errorf("policy: engine has no file to reload")
	}
	start := time.Now()
	s, err := LoadFile(e.path, e.opt)
	if err != nil {
		e.log.Error("policy reload failed; the previous policy stays in force", "err", err)
		return nil, err
	}
	if check != nil {
		if err := check(e.snap.Load(), s); err != nil {
			e.log.Error("policy reload refused; the previous policy stays in force", "file", e.path, "err", err)
			return nil, err
		}
	}
	e.snap.Store(s)
	e.log.Info("policy reloaded", "entries", s.Entries(), "took", time.Since(start).Round(time.Millisecond))
	for _, f := range e.onReload {
		f(s)
	}
	return s, nil
}
