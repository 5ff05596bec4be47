package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// The JSON API (/api/v1) shares the route table and the permission table
// with the pages. A call carries a bearer token (Authorization: Bearer,
// made with `schoolgate tokens create`) or the signed-in browser session;
// a state-changing call carried by the cookie from another origin is
// refused by the console's cross-origin protection. Without a valid
// token or a full session every path under /api/v1 answers 401, known or
// not, so the API's shape is not disclosed to strangers.

// apiPrefix is the API's path.
const apiPrefix = "/api/v1/"

// apiTokenPrefix starts every API token, so one pasted in the wrong place
// is recognisable.
const apiTokenPrefix = "sg_"

// NewAPIToken makes a bearer token and the hash the store keeps of it.
func NewAPIToken() (token, hash string) {
	token = apiTokenPrefix + newSecret(32)
	return token, HashAPIToken(token)
}

// HashAPIToken is what the store keeps of a token (its SHA-256).
func HashAPIToken(token string) string { return hashID(token) }

// isAPI says whether a route is the API's.
func isAPI(pattern string) bool {
	_, path, ok := strings.Cut(pattern, " ")
	if !ok {
		path = pattern
	}
	return strings.HasPrefix(path, apiPrefix)
}

// apiGuard enforces an API route's entry: 401 without a valid token or a
// full session, 403 (naming the capability) for a role without it.
func (c *Console) apiGuard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := c.apiVisit(w, r)
		if err != nil {
			c.apiFail(w, r, err)
			return
		}
		if v == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="schoolgate"`)
			writeJSON(w, http.StatusUnauthorized, apiErr{Error: "a valid bearer token or a signed-in console session is required"})
			return
		}
		if !rt.need.allows(v.user.Roles) {
			writeJSON(w, http.StatusForbidden, apiErr{Capability: string(rt.need.cap),
				Error: fmt.Sprintf("your roles do not allow this: it needs the %s role (%s)", safeguarding.OrList(safeguarding.RolesWith(rt.need.cap)), rt.need.cap.Describe())})
			return
		}
		rt.handle(w, r, v)
	})
}

// apiVisit authenticates an API call: the bearer token when the request
// has an Authorization header (the cookie is then ignored), else the
// session, which must be complete (second factor given). nil: neither.
func (c *Console) apiVisit(w http.ResponseWriter, r *http.Request) (*visit, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		v, err := c.loadVisit(w, r)
		if err != nil || v == nil || !v.complete() {
			return nil, err
		}
		return v, nil
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(tok, apiTokenPrefix) {
		return nil, nil
	}
	ctx := r.Context()
	t, err := c.st.LookupAPIToken(ctx, HashAPIToken(tok))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := c.now()
	if !t.Active(now) {
		return nil, nil
	}
	u, err := c.dir.Lookup(ctx, t.Username)
	if err != nil && !errors.Is(err, identity.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.Disabled || !canSignIn(u.Roles) {
		return nil, nil
	}
	if now.Sub(t.LastUsed) >= time.Minute {
		if err := c.st.TouchAPIToken(ctx, t.ID, now); err != nil {
			return nil, err
		}
	}
	return &visit{user: u, userAg: r.UserAgent(), token: t.ID, actor: safeguarding.Actor{
		Username: u.Username, DisplayName: u.DisplayName, Roles: u.Roles, Address: clientAddr(r), Site: u.Site, School: c.site()}}, nil
}

// apiErr is every error answer.
type apiErr struct {
	Error      string `json:"error"`
	Field      string `json:"field,omitempty"`
	Capability string `json:"capability,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(body)
}

// apiFail is a 500: the detail goes to the system log, not the caller.
// The log gets the route's pattern, not the path, which may name a person.
func (c *Console) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	if c.unavailable() {
		writeJSON(w, http.StatusServiceUnavailable, apiErr{Error: unavailableMessage})
		return
	}
	c.log.Error("console: API call failed", "route", r.Pattern, "err", err)
	writeJSON(w, http.StatusInternalServerError, apiErr{Error: "the console could not do that; try again, and tell the technical team the time if it keeps happening"})
}

// apiField is a 422 naming the field.
func apiField(w http.ResponseWriter, fe *FieldError) {
	writeJSON(w, http.StatusUnprocessableEntity, apiErr{Error: fe.Error(), Field: fe.Field})
}

// apiNotFound answers every path under /api/v1 that is not a route (to
// an authenticated caller: the guard answers 401 first).
func (c *Console) apiNotFound(w http.ResponseWriter, r *http.Request, v *visit) {
	writeJSON(w, http.StatusNotFound, apiErr{Error: "no such API path: " + r.URL.Path + " (see /api/v1/openapi.json)"})
}

// decodeJSON reads a request body into dst: one JSON object, no unknown
// fields; the error names the field.
func decodeJSON(r *http.Request, dst any) *FieldError {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return fieldErr("body", "a JSON object is required")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldErr(name, "unknown field")
	case errors.As(err, &te):
		return fieldErr(te.Field, "want a %s, not a JSON %s", te.Type, te.Value)
	default:
		return fieldErr("body", "not a JSON object: %v", err)
	}
	if dec.More() {
		return fieldErr("body", "one JSON object only")
	}
	return nil
}

// parseFor reads a duration: Go's (45m, 1h30m) or whole days (7d).
func parseFor(field, s string) (time.Duration, *FieldError) {
	if s == "" {
		return 0, fieldErr(field, "give how long, e.g. 45m, 1h or 7d: every change is time-limited")
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || fmt.Sprint(days) != n {
			return 0, fieldErr(field, "%q is not a duration (e.g. 45m, 1h or 7d)", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fieldErr(field, "%q is not a duration (e.g. 45m, 1h or 7d)", s)
		}
	}
	if d <= 0 || d > 366*24*time.Hour {
		return 0, fieldErr(field, "%q: between a minute and a year", s)
	}
	return d, nil
}

// domainStatus maps the domain layer's refusals to an answer: 403 for a
// permission (or illegal content, which nobody may open), 404 for an
// unknown record, 422 for the rest (field names the input at fault);
// false for an error that is not a refusal.
func domainStatus(err error) (status int, field string, ok bool) {
	switch {
	case errors.Is(err, safeguarding.ErrForbidden), errors.Is(err, safeguarding.ErrIllegal), errors.Is(err, store.ErrIllegal):
		return http.StatusForbidden, "", true
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "", true
	case errors.Is(err, safeguarding.ErrUnknownGrantee):
		return http.StatusUnprocessableEntity, "to", true
	case errors.Is(err, store.ErrNotPending), errors.Is(err, safeguarding.ErrNotApplicable), errors.Is(err, safeguarding.ErrInvalid),
		errors.Is(err, store.ErrInvalid):
		return http.StatusUnprocessableEntity, "", true
	}
	return 0, "", false
}

// apiDomainError answers a refusal of the domain layer.
func (c *Console) apiDomainError(w http.ResponseWriter, r *http.Request, err error, field string) {
	status, f, ok := domainStatus(err)
	if !ok {
		c.apiFail(w, r, err)
		return
	}
	if f == "" && status == http.StatusUnprocessableEntity {
		f = field
	}
	writeJSON(w, status, apiErr{Error: err.Error(), Field: f})
}
