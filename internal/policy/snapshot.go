package policy

import (
	"net/netip"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy/lists"
)

// Snapshot is a compiled, immutable policy: categories and their lists,
// schedules, groups, the rules table and the exceptions. It is safe for
// concurrent use and is replaced whole on reload, never changed.
type Snapshot struct {
	cfg *config.Config
	loc *time.Location

	cats     []category
	catIndex map[string]int
	illegal  Set
	locked   Set // illegal implies locked

	groups       []group
	groupIndex   map[string]int
	userGroups   map[string]Set
	defaultGroup int
	hasPortal    bool     // a group has portal: true (portal.go)
	garden       []string // the portal's walled garden from the policy (garden.go)

	schedules  []*schedule
	schedIndex map[string]int

	rows   []*row // by category; nil where the rules table has no row
	defRow *row

	exceptions []exception
	excDomain  map[string][]int // exceptions without a path, by host
	excURL     map[string][]int // exceptions with a path, by StripWWW(host)

	domains *table
	pairs   []catPair
	urls    map[string][]urlRule

	sources  []SourceStats
	warnings []string
	// lockedExc are the exceptions that would open a locked category.
	lockedExc []error
	entries   int
	took      time.Duration
}

type category struct {
	name, title string
	illegal     bool
	locked      bool
	noInspect   bool
	entries     int
}

type group struct {
	name       string
	networks   []netip.Prefix
	safesearch SafeSearch
	ssSet      bool
	portal     bool // groups.X.portal: unidentified clients sign in first
}

// catPair is what one domain-table entry says: the categories it is listed
// in, and those it is taken out of again (adblock @@ rules).
type catPair struct{ add, del Set }

type urlRule struct {
	path string
	cats Set
}

type cellKind uint8

const (
	cellFixed cellKind = iota
	cellAllowDuring
	cellBlockDuring
)

type cell struct {
	kind      cellKind
	verdict   Verdict
	schedules []int
	text      string
}

type row struct {
	name    string // category name, or "default"
	byGroup []int16
	cells   []cell
	names   []string // group name per cell
	others  int16    // -1 when the row has no others cell
	line    int
}

type exception struct {
	index   int
	hostIdx int // which of the exception's hosts
	host    string
	path    string
	verdict Verdict
	groups  Set
	anyGrp  bool
	until   time.Time
	reason  string
	entry   string
}

// SourceStats reports one list source.
type SourceStats struct {
	Category string
	Source   string // path or url as written
	File     string // file actually read ("" when none)
	Format   string
	Missing  bool // a url: source never downloaded: loaded as empty
	lists.Stats
}

// Config returns the configuration the snapshot was compiled from.
func (s *Snapshot) Config() *config.Config { return s.cfg }

// Location is the site's time zone.
func (s *Snapshot) Location() *time.Location { return s.loc }

// Sources reports every list source with its counts and skipped lines.
func (s *Snapshot) Sources() []SourceStats { return s.sources }

// Warnings are problems that did not stop the load (a list never
// downloaded, an exception already expired).
func (s *Snapshot) Warnings() []string { return s.warnings }

// Entries is the number of distinct list entries loaded.
func (s *Snapshot) Entries() int { return s.entries }

// CompileTime is how long Compile took.
func (s *Snapshot) CompileTime() time.Duration { return s.took }

// TableBytes is the memory held by the domain table.
func (s *Snapshot) TableBytes() int { return s.domains.bytes() }

// Categories lists category names in declaration order.
func (s *Snapshot) Categories() []string {
	out := make([]string, len(s.cats))
	for i, c := range s.cats {
		out[i] = c.name
	}
	return out
}

// CategoryIndex returns the index of a category name.
func (s *Snapshot) CategoryIndex(name string) (int, bool) {
	i, ok := s.catIndex[name]
	return i, ok
}

// CategoryName returns the name of category i.
func (s *Snapshot) CategoryName(i int) string { return s.cats[i].name }

// CategoryTitle is the category's title, or its name in plain words.
func (s *Snapshot) CategoryTitle(i int) string { return s.cats[i].title }

// IsIllegal reports whether category i is marked illegal.
func (s *Snapshot) IsIllegal(i int) bool { return s.cats[i].illegal }

// Locked reports whether no grant, request or exception may open the named
// category for a group whose row cell does not already allow it (an
// illegal category is always locked). An unknown name is not locked.
func (s *Snapshot) Locked(category string) bool {
	i, ok := s.catIndex[category]
	return ok && s.cats[i].locked
}

// NoInspect reports whether any category in set must never be TLS-inspected.
func (s *Snapshot) NoInspect(cats Set) bool {
	found := false
	cats.Each(func(i int) {
		if s.cats[i].noInspect {
			found = true
		}
	})
	return found
}

// Groups lists group names in declaration order.
func (s *Snapshot) Groups() []string {
	out := make([]string, len(s.groups))
	for i, g := range s.groups {
		out[i] = g.name
	}
	return out
}

// GroupIndex returns the index of a group name.
func (s *Snapshot) GroupIndex(name string) (int, bool) {
	i, ok := s.groupIndex[name]
	return i, ok
}

// GroupNames names the members of set in declaration order.
func (s *Snapshot) GroupNames(set Set) []string {
	var out []string
	set.Each(func(i int) {
		if i < len(s.groups) {
			out = append(out, s.groups[i].name)
		}
	})
	return out
}

// GroupSet turns group names into a set; unknown names are ignored.
func (s *Snapshot) GroupSet(names []string) Set {
	var set Set
	for _, n := range names {
		if i, ok := s.groupIndex[n]; ok {
			set.Add(i)
		}
	}
	return set
}

// DefaultGroup is the set holding only default_group (or empty).
func (s *Snapshot) DefaultGroup() Set {
	var set Set
	if s.defaultGroup >= 0 {
		set.Add(s.defaultGroup)
	}
	return set
}

// GroupsForIP returns the groups whose networks contain ip, or the
// default group when none does.
func (s *Snapshot) GroupsForIP(ip netip.Addr) Set {
	ip = ip.Unmap()
	var set Set
	for i := range s.groups {
		for _, p := range s.groups[i].networks {
			if p.Contains(ip) {
				set.Add(i)
				break
			}
		}
	}
	if set.Empty() {
		return s.DefaultGroup()
	}
	return set
}

// PolicyUserGroups returns the groups that name user in the policy file's
// users: lists.
func (s *Snapshot) PolicyUserGroups(user string) (Set, bool) {
	set, ok := s.userGroups[user]
	return set, ok
}

// UserGroups is an identified user's groups, the same for every
// enforcement point: the groups the identity store gives them (names;
// unknown names are ignored) joined with the groups whose users: lists
// name them. ok is false when neither places the user in any group; the
// caller then places the client by its IP.
func (s *Snapshot) UserGroups(user string, names []string) (set Set, ok bool) {
	set = s.GroupSet(names)
	if pg, found := s.userGroups[user]; found {
		set = set.Or(pg)
	}
	return set, !set.Empty()
}

// SafeSearch is the setting of the first group (in declaration order) of
// set that has one.
func (s *Snapshot) SafeSearch(set Set) SafeSearch {
	for i := range s.groups {
		if set.Has(i) && s.groups[i].ssSet {
			return s.groups[i].safesearch
		}
	}
	return SafeSearchOff
}
