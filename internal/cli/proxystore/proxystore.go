// Package proxystore is serve's wiring from the block page's forms to the
// store: filter-change requests, concerns, warning click-throughs and
// acceptable-use agreements. It lives beside the wiring in internal/cli,
// not in the proxy, so that the proxy never imports the store; the proxy's
// own tests use it to run the forms against the real store.
package proxystore

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/proxy/pages"
	"schoolgate/internal/store"
)

// Backends adapts the store to what the pages need; what the pages store
// (requests, concerns, click-throughs) belongs to site, the node's school.
func Backends(st *store.Store, site string) (pages.Requests, pages.Concerns, pages.Continues, pages.Agreements) {
	b := &backend{st: st, site: site}
	return b, b, b, b
}

type backend struct {
	st   *store.Store
	site string
}

var (
	_ pages.Requests   = (*backend)(nil)
	_ pages.Concerns   = (*backend)(nil)
	_ pages.Continues  = (*backend)(nil)
	_ pages.Agreements = (*backend)(nil)
)

func (b *backend) CreateRequest(ctx context.Context, r pages.Request) (int64, error) {
	reason := r.Reason
	if r.Ref != "" {
		reason += " [block page " + r.Ref + "]"
	}
	got, err := b.st.CreateRequest(ctx, store.Request{
		User: r.User, Client: r.Client.String(), Groups: r.Groups, Host: r.Host, URL: r.URL,
		Categories: r.Categories, Reason: reason, Site: b.site,
	})
	return got.ID, err
}

func (b *backend) CreateConcern(ctx context.Context, c pages.Concern) (int64, error) {
	text := fmt.Sprintf("[%s] %s", c.Kind, c.Details)
	if c.Ref != "" {
		text += " [block page " + c.Ref + "]"
	}
	host := ""
	if c.URL != "" {
		if t, err := policy.ParseTarget(c.URL); err == nil {
			host = t.Host
		}
	}
	// The same report again (another page's reference) is a repeat.
	fold := fmt.Sprintf("[%s] %s\n%s", c.Kind, c.URL, c.Details)
	got, err := b.st.CreateConcern(ctx, store.Concern{User: c.User, Client: c.Client.String(), Host: host, URL: c.URL, Text: text, Fold: fold, Site: b.site})
	return got.ID, err
}

func (b *backend) RecordContinue(ctx context.Context, user string, client netip.Addr, host, url string, until time.Time) error {
	_, err := b.st.RecordContinue(ctx, b.site, user, client, host, until)
	return err
}

func (b *backend) HasAccepted(ctx context.Context, user, group, version string) (bool, error) {
	return b.st.HasAccepted(ctx, user, version)
}

func (b *backend) AcceptAUA(ctx context.Context, a pages.Acceptance) error {
	_, err := b.st.AcceptAUA(ctx, store.Acceptance{User: a.User, Group: a.Group, Version: a.Version, AcceptedAt: a.At, Client: a.Client.String()})
	return err
}

// PublishedAUAs are the versions published from the console, each group's
// newest for site (pages.PublishedAgreements).
func (b *backend) PublishedAUAs(ctx context.Context, site string) (map[string]pages.Published, error) {
	cur, err := b.st.CurrentAUAs(ctx, site)
	if err != nil {
		return nil, err
	}
	out := make(map[string]pages.Published, len(cur))
	for g, v := range cur {
		out[g] = pages.Published{Version: v.Version, Text: v.Text}
	}
	return out, nil
}

var _ pages.PublishedAgreements = (*backend)(nil)
