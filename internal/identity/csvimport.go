package identity

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrCSVHeader is returned when the CSV's header row is unusable.
var ErrCSVHeader = errors.New("users CSV header")

// ImportRow is one good row of a users CSV.
type ImportRow struct {
	Line int
	User User
	// DateOfBirth (YYYY-MM-DD, or empty) is kept apart from the profile:
	// only record retention and subject-access exports read it.
	DateOfBirth string
}

// RowError is one bad row, reported by line number.
type RowError struct {
	Line int
	Err  error
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// ImportFile is a parsed users CSV: the good rows, the bad ones, the
// known columns it has, any columns that were ignored and the group names
// the policy does not define.
type ImportFile struct {
	// Site is the school the file's people belong to (the importer sets
	// it; "" is a single school's "school"): prune disables only its
	// people, and a username of another school is refused.
	Site    string
	Rows    []ImportRow
	Errors  []RowError
	Columns []string
	Ignored []string
	// UnknownGroups are the distinct group names (in order of first
	// appearance) that the policy does not define: kept on the users as
	// directory groups, with no effect on filtering.
	UnknownGroups []UnknownGroup
}

// UnknownGroup is a group name of the file that is not a policy group.
type UnknownGroup struct {
	Name      string
	FirstLine int
	Rows      int
}

// Has reports whether the file has the column: an import leaves a user's
// field alone when the file does not have its column (an empty cell
// clears it).
func (f *ImportFile) Has(column string) bool { return slices.Contains(f.Columns, column) }

// csvColumns are the columns an MIS export gives; username is required.
var csvColumns = [...]string{"username", "display_name", "role", "year_group", "groups", "email", "date_of_birth"}

// ParseUsersCSV reads the MIS export format: a header row naming the
// columns (any order; username required; unknown columns ignored and
// listed), then one user per row. groups are ';'-separated, roles ';' or
// ','-separated. knownGroup, when not nil, says which groups the policy
// defines: the others are kept (an MIS export carries classes, houses and
// clubs; a row is never dropped for them) and listed in UnknownGroups.
// Bad rows are
// reported with their line numbers and the good ones kept. The error is
// for an unreadable header or a failing reader.
func ParseUsersCSV(r io.Reader, knownGroup func(string) bool) (*ImportFile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrCSVHeader)
		}
		return nil, fmt.Errorf("%w: %w", ErrCSVHeader, err)
	}
	out := &ImportFile{}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(csvColumns[:], h) {
			out.Ignored = append(out.Ignored, h)
			continue
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%w: column %q appears twice", ErrCSVHeader, h)
		}
		col[h] = i
		out.Columns = append(out.Columns, h)
	}
	if _, ok := col["username"]; !ok {
		return nil, fmt.Errorf("%w: no username column (want %s)", ErrCSVHeader, strings.Join(csvColumns[:], ","))
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// A broken quote spoils that row only; reading goes on.
				out.Errors = append(out.Errors, RowError{pe.StartLine, pe.Err})
				continue
			}
			return nil, fmt.Errorf("users CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		u, err := parseRow(get)
		if err != nil {
			out.Errors = append(out.Errors, RowError{line, err})
			continue
		}
		dob, err := ParseDateOfBirth(get("date_of_birth"))
		if err != nil {
			out.Errors = append(out.Errors, RowError{line, err})
			continue
		}
		if first, dup := seen[u.Username]; dup {
			out.Errors = append(out.Errors, RowError{line, fmt.Errorf("username %q already on line %d", u.Username, first)})
			continue
		}
		seen[u.Username] = line
		out.Rows = append(out.Rows, ImportRow{Line: line, User: u, DateOfBirth: dob})
		if knownGroup != nil {
			out.noteUnknown(line, u.Groups, knownGroup)
		}
	}
	return out, nil
}

func (f *ImportFile) noteUnknown(line int, groups []string, known func(string) bool) {
	for _, g := range groups {
		if known(g) {
			continue
		}
		i := slices.IndexFunc(f.UnknownGroups, func(u UnknownGroup) bool { return u.Name == g })
		if i < 0 {
			f.UnknownGroups = append(f.UnknownGroups, UnknownGroup{Name: g, FirstLine: line})
			i = len(f.UnknownGroups) - 1
		}
		f.UnknownGroups[i].Rows++
	}
}

func parseRow(get func(string) string) (User, error) {
	u := User{
		Username:    strings.ToLower(get("username")),
		DisplayName: get("display_name"),
		YearGroup:   strings.ToUpper(get("year_group")),
		Email:       get("email"),
	}
	if err := checkName("username", u.Username, 64, "._-@"); err != nil {
		return u, err
	}
	roles, err := ParseRoles(get("role"))
	if err != nil {
		return u, fmt.Errorf("role: %w", err)
	}
	u.Roles = roles
	if u.YearGroup != "" {
		if err := checkName("year_group", strings.ToLower(u.YearGroup), 8, "-"); err != nil {
			return u, err
		}
	}
	if !utf8.ValidString(u.DisplayName) || len(u.DisplayName) > 200 || strings.ContainsAny(u.DisplayName, "\x00\r\n") {
		return u, fmt.Errorf("display_name: not valid text of at most 200 bytes")
	}
	if u.Email != "" && (!strings.Contains(u.Email, "@") || len(u.Email) > 254 || strings.ContainsAny(u.Email, " ,;<>\x00\r\n")) {
		return u, fmt.Errorf("email %q is not an address", u.Email)
	}
	for _, g := range strings.Split(get("groups"), ";") {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		if strings.ContainsAny(g, ",\x00\r\n") || !utf8.ValidString(g) || len(g) > 64 {
			return u, fmt.Errorf("groups: %q is not a group name", g)
		}
		if !slices.Contains(u.Groups, g) {
			u.Groups = append(u.Groups, g)
		}
	}
	return u, nil
}

// checkName allows a-z, 0-9 and extra (not first).
func checkName(field, s string, maxLen int, extra string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", field)
	}
	if len(s) > maxLen {
		return fmt.Errorf("%s %q is longer than %d", field, s, maxLen)
	}
	for i, c := range s {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && strings.ContainsRune(extra, c) {
			continue
		}
		return fmt.Errorf("%s %q: only a-z, 0-9 and %q allowed (not first)", field, s, extra)
	}
	return nil
}
