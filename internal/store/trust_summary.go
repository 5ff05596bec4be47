package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SiteSummary is one school at a glance, for the trust's staff: counts,
// never names.
type SiteSummary struct {
	Site string `json:"site"`
	Name string `json:"name,omitempty"`
	// BlocksToday counts the blocked events since the start of the day.
	BlocksToday int64 `json:"blocks_today"`
	// AlertsOpen counts the alerts not closed, by severity (1 advisory …
	// 5 immediate risk).
	AlertsOpen map[int]int64 `json:"alerts_open"`
	// RequestsWaiting counts the pending unblock requests.
	RequestsWaiting int64 `json:"requests_waiting"`
	// LastCheck is the latest filtering check's time, LastReview the
	// latest annual review's day ("" for none).
	LastCheck  time.Time `json:"last_check,omitzero"`
	LastReview string    `json:"last_review,omitempty"`
}

// TrustSummary is every school's summary, by site id: the sites table's
// schools and any other a record names. dayStart is the start of today
// (site-local, the caller's). Only the trust's staff read it (the
// console's TrustDashboard capability).
func (s *Store) TrustSummary(ctx context.Context, dayStart time.Time) ([]SiteSummary, error) {
	sites, err := s.ListSites(ctx)
	if err != nil {
		return nil, err
	}
	by := map[string]*SiteSummary{}
	get := func(site string) *SiteSummary {
		if sm, ok := by[site]; ok {
			return sm
		}
		sm := &SiteSummary{Site: site, AlertsOpen: map[int]int64{}}
		by[site] = sm
		return sm
	}
	for _, st := range sites {
		get(st.ID).Name = st.Name
	}
	each := func(what, q string, args []any, scan func(r *sql.Rows) error) error {
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: trust summary: %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("store: trust summary: %s: %w", what, err)
			}
		}
		return rows.Err()
	}
	err = each("blocks", `SELECT site, COUNT(*) FROM activity WHERE at >= $1 AND verdict = 'block' GROUP BY site`, []any{micro(dayStart)},
		func(r *sql.Rows) error {
			var site string
			var n int64
			if err := r.Scan(&site, &n); err != nil {
				return err
			}
			get(site).BlocksToday = n
			return nil
		})
	if err == nil {
		err = each("alerts", `SELECT site, severity, COUNT(*) FROM alerts WHERE status <> 'closed' GROUP BY site, severity`, nil,
			func(r *sql.Rows) error {
				var site string
				var sev int
				var n int64
				if err := r.Scan(&site, &sev, &n); err != nil {
					return err
				}
				get(site).AlertsOpen[sev] = n
				return nil
			})
	}
	if err == nil {
		err = each("requests", `SELECT site, COUNT(*) FROM requests WHERE status = 'pending' GROUP BY site`, nil,
			func(r *sql.Rows) error {
				var site string
				var n int64
				if err := r.Scan(&site, &n); err != nil {
					return err
				}
				get(site).RequestsWaiting = n
				return nil
			})
	}
	if err == nil {
		err = each("checks", `SELECT site, MAX(at) FROM checks GROUP BY site`, nil,
			func(r *sql.Rows) error {
				var site string
				var at int64
				if err := r.Scan(&site, &at); err != nil {
					return err
				}
				get(site).LastCheck = fromMicro(at)
				return nil
			})
	}
	if err == nil {
		err = each("reviews", `SELECT site, MAX(held_on) FROM reviews GROUP BY site`, nil,
			func(r *sql.Rows) error {
				var site, day string
				if err := r.Scan(&site, &day); err != nil {
					return err
				}
				get(site).LastReview = day
				return nil
			})
	}
	if err != nil {
		return nil, err
	}
	out := make([]SiteSummary, 0, len(by))
	for _, sm := range by {
		out = append(out, *sm)
	}
	slices.SortFunc(out, func(a, b SiteSummary) int { return strings.Compare(a.Site, b.Site) })
	return out, nil
}
