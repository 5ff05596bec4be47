package console

import (
	"context"
	"net/http"
	"time"

	"schoolgate/internal/store"
)

// trustView is the trust dashboard: every school at a glance, counts
// only (no child is named).
type trustView struct {
	Schools []trustRow `json:"schools"`
}

// trustRow is one school's line.
type trustRow struct {
	store.SiteSummary
	// Alerts are the open alerts by severity, most severe first.
	Alerts []severityCount `json:"-"`
	// Nodes are the school's nodes' last reports (none: "no report").
	Nodes   []NodeStatus `json:"nodes"`
	Healthy int          `json:"nodes_healthy"`
}

type severityCount struct {
	Word  string
	Count int64
}

func (trustView) title() string { return "Trust" }

// severities are the alert severities' words, most severe first.
var severities = []struct {
	level int
	word  string
}{{5, "immediate risk"}, {4, "high"}, {3, "medium"}, {2, "low"}, {1, "advisory"}}

// trustSummary reads every school's line.
func (c *Console) trustSummary(ctx context.Context) (trustView, error) {
	loc := c.location()
	now := c.now().In(loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	list, err := c.st.TrustSummary(ctx, day)
	if err != nil {
		return trustView{}, err
	}
	var nodes []NodeStatus
	if c.nodes != nil {
		if nodes, err = c.nodes.Nodes(ctx); err != nil {
			return trustView{}, err
		}
	}
	view := trustView{Schools: make([]trustRow, 0, len(list))}
	for _, sm := range list {
		row := trustRow{SiteSummary: sm}
		if !row.LastCheck.IsZero() {
			row.LastCheck = row.LastCheck.In(loc)
		}
		for _, s := range severities {
			if n := sm.AlertsOpen[s.level]; n > 0 {
				row.Alerts = append(row.Alerts, severityCount{Word: s.word, Count: n})
			}
		}
		for _, n := range nodes {
			if n.Site != sm.Site {
				continue
			}
			row.Nodes = append(row.Nodes, n)
			if !n.Stale && n.Error == "" {
				row.Healthy++
			}
		}
		view.Schools = append(view.Schools, row)
	}
	return view, nil
}

// trustShow is the trust's staff's page of every school.
func (c *Console) trustShow(w http.ResponseWriter, r *http.Request, v *visit) {
	view, err := c.trustSummary(r.Context())
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "trust", v, view)
}
