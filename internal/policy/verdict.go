package policy

import "fmt"

// Verdict is what a decision says. The order is restrictiveness: when a
// target is in several categories the greatest verdict wins.
type Verdict uint8

const (
	Allow Verdict = iota
	Warn
	// Permission blocks unless a member of staff has granted a time-limited
	// permission. Decisions report it as Block with NeedsPermission set.
	Permission
	Block
)

var verdictNames = [...]string{"allow", "warn", "permission", "block"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// MarshalText implements encoding.TextMarshaler.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// ParseVerdict reads allow, warn, permission or block.
func ParseVerdict(s string) (Verdict, error) {
	for i, n := range verdictNames {
		if s == n {
			return Verdict(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q (want allow, warn, permission or block)", ErrBadVerdict, s)
}

// SafeSearch is a group's SafeSearch setting.
type SafeSearch uint8

const (
	SafeSearchOff SafeSearch = iota
	SafeSearchModerate
	SafeSearchStrict
)

func (s SafeSearch) String() string {
	return [...]string{"off", "moderate", "strict"}[s]
}

func parseSafeSearch(s string) (SafeSearch, bool, error) {
	switch s {
	case "":
		return SafeSearchOff, false, nil
	case "off":
		return SafeSearchOff, true, nil
	case "moderate":
		return SafeSearchModerate, true, nil
	case "strict":
		return SafeSearchStrict, true, nil
	}
	return 0, false, fmt.Errorf("unknown safesearch %q (want strict, moderate or off)", s)
}
