package console

import (
	"context"
	"net/url"
	"time"

	"schoolgate/internal/safeguarding"
)

// safeguardingTiles are the dashboard's counts for the safeguarding
// roles: the concerns not closed, and the attempts on illegal categories
// in the last seven days, with a link to the events (the names are one
// click away, on the audited activity page).
type safeguardingTiles struct {
	Show           bool
	OpenConcerns   int64
	Illegal        int64
	IllegalLinks   []navItem
	CanSeeActivity bool
}

func (c *Console) safeguardingTiles(ctx context.Context, v *visit, since, until time.Time) (safeguardingTiles, error) {
	t := safeguardingTiles{Show: safeguarding.Can(v.user.Roles, safeguarding.ReadConcerns),
		CanSeeActivity: safeguarding.Can(v.user.Roles, safeguarding.ViewNamedPupilActivity)}
	if !t.Show {
		return t, nil
	}
	n, err := c.st.CountOpenConcerns(ctx, v.actor.Site)
	if err != nil {
		return t, err
	}
	t.OpenConcerns = n
	illegal := map[string]bool{}
	for _, cat := range c.snap().Config().Categories {
		if cat.Value.Illegal {
			illegal[cat.Name] = true
		}
	}
	rows, err := c.st.Counts(ctx, v.actor.Site, since, until, []string{"category"})
	if err != nil {
		return t, err
	}
	for _, row := range rows {
		if !illegal[row.Values[0]] || row.Count == 0 {
			continue
		}
		t.Illegal += row.Count
		q := url.Values{"category": {row.Values[0]}, "since": {since.In(c.location()).Format("2006-01-02")}}
		t.IllegalLinks = append(t.IllegalLinks, navItem{Href: "/activity?" + q.Encode(), Label: c.categoryTitle(row.Values[0])})
	}
	return t, nil
}
