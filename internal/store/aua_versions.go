package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AUAVersion is a version of a group's acceptable-use agreement published
// from the console.
type AUAVersion struct {
	Site        string    `json:"site"`
	Group       string    `json:"group"`
	Version     string    `json:"version"`
	Text        string    `json:"-"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}

// PublishAUA stores a new version of group's agreement for site, with its
// audit record (object group:NAME; the text's length, not the text). A
// version the group has had already is ErrExists: everyone accepts a new
// version again, so a version is never reused.
func (s *Store) PublishAUA(ctx context.Context, by Actor, v AUAVersion) (AUAVersion, error) {
	if _, err := siteFor(v.Site); err != nil {
		return AUAVersion{}, err
	}
	v.Group, v.Version = strings.TrimSpace(v.Group), strings.TrimSpace(v.Version)
	if v.Site == "" || v.Group == "" || v.Version == "" || strings.TrimSpace(v.Text) == "" {
		return v, fmt.Errorf("store: %w: an agreement needs a site, a group, a version and a text", ErrInvalid)
	}
	v.PublishedAt, v.PublishedBy = s.now().Truncate(time.Microsecond).UTC(), by.Name
	err := s.write(ctx, by, func(t *tx) error {
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM aua_versions WHERE (site = $1 OR $1 = '*') AND grp = $2 AND version = $3`,
			v.Site, v.Group, v.Version).Scan(&n); err != nil {
			return fmt.Errorf("store: publish AUA: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("store: version %q of %s's agreement: %w", v.Version, v.Group, ErrExists)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO aua_versions (site, grp, version, text, published_at, published_by) VALUES ($1,$2,$3,$4,$5,$6)`,
			v.Site, v.Group, v.Version, v.Text, micro(v.PublishedAt), v.PublishedBy); err != nil {
			return fmt.Errorf("store: publish AUA: %w", err)
		}
		t.audit("aua.publish", "group:"+v.Group, nil, map[string]any{"site": v.Site, "version": v.Version, "text_bytes": len(v.Text)})
		return nil
	})
	return v, err
}

// CurrentAUAs returns each group's newest published version for site.
func (s *Store) CurrentAUAs(ctx context.Context, site string) (map[string]AUAVersion, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT grp, version, text, published_at, published_by FROM aua_versions
		WHERE (site = $1 OR $1 = '*') ORDER BY grp, published_at`, site)
	if err != nil {
		return nil, fmt.Errorf("store: AUA versions: %w", err)
	}
	defer rows.Close()
	out := map[string]AUAVersion{}
	for rows.Next() {
		v := AUAVersion{Site: site}
		var at int64
		if err := rows.Scan(&v.Group, &v.Version, &v.Text, &at, &v.PublishedBy); err != nil {
			return nil, fmt.Errorf("store: AUA versions: %w", err)
		}
		v.PublishedAt = fromMicro(at)
		out[v.Group] = v // the newest last
	}
	return out, rows.Err()
}
