package identity

import (
	"fmt"
	"strings"
	"time"
)

// ParseDateOfBirth checks a date of birth as an MIS export gives it
// (YYYY-MM-DD, or DD/MM/YYYY as UK exports often do) and returns it as
// YYYY-MM-DD; empty stays empty.
func ParseDateOfBirth(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if t.Year() < 1900 || t.After(time.Now()) {
			return "", fmt.Errorf("date_of_birth %q is not a plausible date of birth", s)
		}
		return t.Format(time.DateOnly), nil
	}
	return "", fmt.Errorf("date_of_birth %q: use YYYY-MM-DD (or DD/MM/YYYY)", s)
}
