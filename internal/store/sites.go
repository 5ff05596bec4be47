package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"schoolgate/internal/identity"
)

// AllSites is the scope of trust staff: every site. It is never a
// school's id (site ids are lower-case words, config.Site.ID's pattern)
// and only ever the site of people made with --trust.
const AllSites = "*"

// DefaultSite is the site of a single-school install and of every row
// written before sites existed (config.DefaultSiteID).
const DefaultSite = "school"

// ErrNoSite is returned when a query or a write has no site scope: a
// store query never guesses the school.
var ErrNoSite = errors.New("no site scope")

// siteID is config.Site.ID's pattern.
var siteID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// CheckSiteID refuses a name that cannot be a school's site id ("*" is
// not one: it is a scope, not a site).
func CheckSiteID(id string) error {
	if !siteID.MatchString(id) {
		return fmt.Errorf("%w: site %q: use lower-case letters, digits and '-'", ErrInvalid, id)
	}
	return nil
}

// Site is one school of the trust.
type Site struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// EnsureSite records a site if it is new (naming a new site creates it);
// name, when not empty, replaces the display name.
func (s *Store) EnsureSite(ctx context.Context, id, name string) error {
	if err := CheckSiteID(id); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO sites (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
		id, name, micro(s.now())); err != nil {
		return fmt.Errorf("store: site %s: %w", id, err)
	}
	if name != "" {
		if _, err := s.w.ExecContext(ctx, `UPDATE sites SET name = $1 WHERE id = $2`, name, id); err != nil {
			return fmt.Errorf("store: site %s: %w", id, err)
		}
	}
	return nil
}

// ListSites returns the sites, by id: the sites table and any site a
// person or a record names (an install from before sites existed has
// rows for "school" and no sites row).
func (s *Store) ListSites(ctx context.Context) ([]Site, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, created_at FROM sites
		UNION SELECT DISTINCT site, '', 0 FROM users WHERE site <> '*' AND site NOT IN (SELECT id FROM sites)
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("store: sites: %w", err)
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		var st Site
		var at int64
		if err := rows.Scan(&st.ID, &st.Name, &at); err != nil {
			return nil, fmt.Errorf("store: sites: %w", err)
		}
		if at != 0 {
			st.CreatedAt = fromMicro(at)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// siteScope is the SQL condition and argument that keep a query inside
// scope: nothing for AllSites, "col = $n" for a site, and ErrNoSite for an
// empty scope (fail safe: a query without a scope returns nothing).
func siteScope(scope, col string, n int) (string, []any, error) {
	switch scope {
	case "":
		return "", nil, ErrNoSite
	case AllSites:
		return "TRUE", nil, nil
	}
	return fmt.Sprintf("%s = $%d", col, n), []any{scope}, nil
}

// siteFor is the site a write stores: a school's id. AllSites and "" are
// refused: a record belongs to one school.
func siteFor(site string) (string, error) {
	if site == "" || site == AllSites {
		return "", fmt.Errorf("store: %w: a record belongs to one school, name it", ErrNoSite)
	}
	return site, nil
}

// ErrSiteRole is returned when a person's roles and site do not go
// together: trust roles belong to the trust's staff (site "*"), a school's
// roles to a school's people.
var ErrSiteRole = errors.New("role not held at this site")

// CheckPersonSite refuses a trust role on a school's person and a school
// role on the trust's staff.
func CheckPersonSite(site string, roles []identity.Role) error {
	if site != AllSites {
		if err := CheckSiteID(site); err != nil {
			return err
		}
	}
	for _, r := range roles {
		if r.Trust() != (site == AllSites) {
			if r.Trust() {
				return fmt.Errorf("%w: %s is a trust role, for people made with --trust (this person is of site %s)", ErrSiteRole, r, site)
			}
			return fmt.Errorf("%w: %s is a school's role; the trust's staff take trust-dsl, trust-technical or trust-slt", ErrSiteRole, r)
		}
	}
	return nil
}

// scope is the actor's site scope for the store's writes on existing
// records: their site, AllSites for the trust's staff; a single school's
// callers that name none act on "school".
func (a Actor) scope() string {
	if a.Site == "" {
		return DefaultSite
	}
	return a.Site
}
