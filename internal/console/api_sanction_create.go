package console

import (
	"net/http"
	"strconv"
	"strings"
)

// apiSanctionBody records a sanction: {"action":"removal_of_access",
// "for":"7d","scope":"all|category:C","people":["USERNAME",…]};
// people is required when the incident involves more than one.
type apiSanctionBody struct {
	Action   string       `json:"action"`
	For      string       `json:"for"`
	Scope    string       `json:"scope"`
	People   []string     `json:"people"`
	Informed *apiInformed `json:"informed"`
	Note     string       `json:"note"`
}

// apiInformed is who was told (inform_parents), how and when (RFC 3339
// or site time).
type apiInformed struct {
	Who  string `json:"who"`
	How  string `json:"how"`
	When string `json:"when"`
}

func (b apiSanctionBody) form() sanctionForm {
	f := sanctionForm{Action: b.Action, People: b.People, For: strings.TrimSpace(b.For), Scope: b.Scope, Note: b.Note}
	if b.Informed != nil {
		f.Who, f.How, f.When = b.Informed.Who, b.Informed.How, strings.TrimSpace(b.Informed.When)
	}
	return f
}

// apiSanctionCreate records a sanction for some of an incident's people
// → 201 with the sanctions' ids.
func (c *Console) apiSanctionCreate(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusNotFound, apiErr{Error: "no such incident"})
		return
	}
	var b apiSanctionBody
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	n, fe := b.form().Validate(c.location())
	if fe != nil {
		apiField(w, fe)
		return
	}
	if b.Informed != nil && n.Informed == nil {
		apiField(w, fieldErr("informed", "only informing parents / carers records who was informed"))
		return
	}
	list, err := c.sanc.Record(r.Context(), v.actor, id, n)
	if err != nil {
		c.apiDomainError(w, r, err, sanctionField(err))
		return
	}
	ids := make([]int64, 0, len(list))
	out := make([]sanctionOut, 0, len(list))
	for _, s := range c.sanc.Views(list...) {
		ids = append(ids, s.ID)
		out = append(out, toSanctionOut(s))
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ids": ids, "sanctions": out})
}
