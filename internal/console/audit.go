package console

import (
	"context"
	"net/http"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// audit writes a record to the hash chain: who (with their roles), from
// which address, with the browser's user agent. A record that cannot be
// written is an error for the caller: a view that is not recorded is
// not shown.
func (c *Console) audit(ctx context.Context, r *http.Request, who string, roles []identity.Role, action, object string, after map[string]any) error {
	if after == nil {
		after = map[string]any{}
	}
	after["user_agent"] = r.UserAgent()
	by := store.Actor{Name: who, From: clientAddr(r), Roles: identity.JoinRoles(roles)}
	return c.st.Audit(ctx, by, action, object, nil, after)
}

// auditVisit is audit for the signed-in person.
func (c *Console) auditVisit(r *http.Request, v *visit, action, object string, after map[string]any) error {
	if v.token != 0 {
		if after == nil {
			after = map[string]any{}
		}
		after["api_token"] = v.token
	}
	return c.audit(r.Context(), r, v.user.Username, v.user.Roles, action, object, after)
}

// named collects the people a view names, each once and in the order
// shown, for the audit entry of the view.
type named struct {
	users []string
	seen  map[string]bool
}

// add records user (nothing for an event without one).
func (n *named) add(user string) {
	if user == "" || n.seen[user] {
		return
	}
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	n.seen[user] = true
	n.users = append(n.users, user)
}
