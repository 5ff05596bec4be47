package console

import (
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
)

// apiGrantBody is a time-limited grant of a permission cell.
type apiGrantBody struct {
	To       string `json:"to"` // user:NAME or group:NAME
	Category string `json:"category"`
	Target   string `json:"target"` // HOST or HOST/PATH
	For      string `json:"for"`
	Reason   string `json:"reason"`
}

// Validate checks the body against the policy's groups and returns the
// grant.
func (b apiGrantBody) Validate(snap *policy.Snapshot) (safeguarding.Grant, *FieldError) {
	var g safeguarding.Grant
	kind, name, _ := strings.Cut(b.To, ":")
	name = strings.TrimSpace(name)
	switch {
	case name == "" || (kind != "user" && kind != "group"):
		return g, fieldErr("to", "want user:NAME or group:NAME")
	case kind == "group":
		if _, ok := snap.GroupIndex(name); !ok {
			return g, fieldErr("to", "%q is not a policy group (groups: %s)", name, strings.Join(snap.Groups(), ", "))
		}
	case kind == "user":
		if _, ok := snap.GroupIndex(name); ok {
			// The domain layer would take the group: refuse rather than
			// open a cell for a whole group by mistake.
			return g, fieldErr("to", "%q is also a policy group's name: a grant to it would be the group's", name)
		}
	}
	g.To = name
	switch {
	case (b.Category == "") == (b.Target == ""):
		return g, fieldErr("category", "give exactly one of category or target")
	case b.Category != "":
		g.Category = b.Category
	default:
		g.Target = strings.TrimSpace(b.Target)
	}
	d, fe := parseFor("for", b.For)
	if fe != nil {
		return g, fe
	}
	g.For = d
	if g.Reason = strings.TrimSpace(b.Reason); g.Reason == "" {
		return g, fieldErr("reason", "give a reason: it is kept in the audit trail")
	}
	return g, nil
}

// overrideView is a grant or unblock as the API shows it.
type overrideView struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	User     string `json:"user,omitempty"`
	Group    string `json:"group,omitempty"`
	Category string `json:"category,omitempty"`
	Target   string `json:"target,omitempty"`
	Verdict  string `json:"verdict"`
	Until    string `json:"until"`
	Reason   string `json:"reason"`
}

func toOverrideView(o policy.Override) overrideView {
	return overrideView{ID: o.ID, Kind: o.Kind, User: o.User, Group: o.Group, Category: o.Category, Target: o.Target,
		Verdict: o.Verdict.String(), Until: o.Until.UTC().Format(time.RFC3339), Reason: o.Reason}
}

// apiGrantCreate makes a grant through the domain layer, which refuses
// one that would not open its cell. When site.school_day_end is set, a
// teacher's grant ends by then, as on the console's page.
func (c *Console) apiGrantCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	var b apiGrantBody
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	g, fe := b.Validate(c.snap())
	if fe != nil {
		apiField(w, fe)
		return
	}
	if !safeguarding.Can(v.user.Roles, safeguarding.DecideRequests) {
		now := c.now()
		if end, ok := c.snap().Config().Site.SchoolDayEndAt(now.In(c.location())); ok {
			switch {
			case !now.Before(end):
				apiField(w, fieldErr("for", "the school day ended at %s (site.school_day_end): a teacher's grant cannot start after it", end.Format("15:04")))
				return
			case now.Add(g.For).After(end):
				g.For = end.Sub(now)
			}
		}
	}
	o, err := c.svc.CreateGrant(r.Context(), v.actor, g)
	if err != nil {
		field := "category"
		if g.Target != "" {
			field = "target"
		}
		c.apiDomainError(w, r, err, field)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"grant": toOverrideView(o)})
}
