package proxy

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"schoolgate/internal/proxy/pages"
	"schoolgate/internal/store"
)

// StoreBackends adapts the store to what the pages need: filter-change
// requests, concerns, warning click-throughs and acceptable-use agreements.
func StoreBackends(st *store.Store) (pages.Requests, pages.Concerns, pages.Continues, pages.Agreements) {
	b := &storeBackend{st: st}
	return b, b, b, b
}

type storeBackend struct{ st *store.Store }

func (b *storeBackend) CreateRequest(ctx context.Context, r pages.Request) (int64, error) {
	reason := r.Reason
	if r.Ref != "" {
		reason += " [block page " + r.Ref + "]"
	}
	got, err := b.st.CreateRequest(ctx, store.Request{
		User: r.User, Client: r.Client.String(), Groups: r.Groups, Host: r.Host, URL: r.URL,
		Categories: r.Categories, Reason: reason,
	})
	return got.ID, err
}

func (b *storeBackend) CreateConcern(ctx context.Context, c pages.Concern) (int64, error) {
	text := fmt.Sprintf("[%s] %s", c.Kind, c.Details)
	if c.Ref != "" {
		text += " [block page " + c.Ref + "]"
	}
	host := ""
	if t, err := parseHost(c.URL); err == nil {
		host = t
	}
	// The same report again (another page's reference) is a repeat.
	fold := fmt.Sprintf("[%s] %s\n%s", c.Kind, c.URL, c.Details)
	got, err := b.st.CreateConcern(ctx, store.Concern{User: c.User, Client: c.Client.String(), Host: host, URL: c.URL, Text: text, Fold: fold})
	return got.ID, err
}

func (b *storeBackend) RecordContinue(ctx context.Context, user string, client netip.Addr, host, url string, until time.Time) error {
	_, err := b.st.RecordContinue(ctx, user, client, host, until)
	return err
}

func (b *storeBackend) HasAccepted(ctx context.Context, user, group, version string) (bool, error) {
	return b.st.HasAccepted(ctx, user, version)
}

func (b *storeBackend) AcceptAUA(ctx context.Context, a pages.Acceptance) error {
	_, err := b.st.AcceptAUA(ctx, store.Acceptance{User: a.User, Group: a.Group, Version: a.Version, AcceptedAt: a.At, Client: a.Client.String()})
	return err
}
