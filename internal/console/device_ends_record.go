package console

import (
	"errors"
	"net/http"
	"net/netip"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// recordEnds stores the sign-ins of user just ended here at addrs, with
// the audit record (console.device.end, after) in the same transaction,
// so that every other node of the school ends them too.
func (c *Console) recordEnds(r *http.Request, v *visit, user string, addrs []netip.Addr, after map[string]any) error {
	ends := make([]store.SignInEnd, 0, len(addrs))
	for _, a := range addrs {
		var held *identity.SignInEndedError
		if errors.As(c.devs.Ended(a, user), &held) {
			ends = append(ends, store.SignInEnd{Addr: a, User: user, Until: held.Until})
		}
	}
	after["user_agent"] = r.UserAgent()
	if v.token != 0 {
		after["api_token"] = v.token
	}
	by := store.Actor{Name: v.user.Username, From: clientAddr(r), Roles: identity.JoinRoles(v.user.Roles)}
	return c.st.EndSignIns(r.Context(), by, c.site(), ends, "console.device.end", "user:"+user, after)
}
