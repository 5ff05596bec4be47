package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/safeguarding"
)

// sanctionForm is what the person recording picked on the sanctions
// page (and, as JSON, through the API).
type sanctionForm struct {
	Action string
	People []string
	For    string // removal of access: 45m, 12h, 7d
	Scope  string // removal of access: all, or category:NAME
	// Who, How and When: informing parents / carers (When in site time
	// or RFC 3339).
	Who, How, When string
	Note           string
}

func readSanctionForm(r *http.Request) sanctionForm {
	r.ParseForm()
	f := sanctionForm{Action: r.PostFormValue("action"), For: strings.TrimSpace(r.PostFormValue("for")), Scope: r.PostFormValue("scope"),
		Who: r.PostFormValue("who"), How: r.PostFormValue("how"), When: strings.TrimSpace(r.PostFormValue("when")), Note: r.PostFormValue("note")}
	for _, p := range r.PostForm["people"] {
		if p = strings.TrimSpace(p); p != "" {
			f.People = append(f.People, p)
		}
	}
	return f
}

// Validate reads the form into what the domain records; the domain
// checks the rest (the people, the scope, the tables).
func (f sanctionForm) Validate(loc *time.Location) (safeguarding.NewSanction, *FieldError) {
	n := safeguarding.NewSanction{Action: strings.TrimSpace(f.Action), People: f.People, Scope: strings.TrimSpace(f.Scope), Note: f.Note}
	if n.Action == "" {
		return n, fieldErr("action", "choose what was done")
	}
	if _, ok := config.SanctionActionNamed(n.Action); !ok {
		return n, fieldErr("action", "%q is not an action of the sanctions tables", n.Action)
	}
	switch n.Action {
	case config.ActionRemovalOfAccess:
		d, fe := parseFor("for", f.For)
		if fe != nil {
			return n, fe
		}
		n.For = d
	case config.ActionInformParents:
		when, err := parseLocal("when", f.When, loc)
		if err != nil {
			return n, fieldErr("when", "%v", err)
		}
		n.Informed = &safeguarding.Informed{Who: f.Who, How: f.How, When: when}
	default:
		if f.For != "" {
			return n, fieldErr("for", "only removal of access lasts for a while")
		}
	}
	return n, nil
}

// sanctionField names the input a domain refusal is about (its message
// starts with the field).
func sanctionField(err error) string {
	if !errors.Is(err, safeguarding.ErrInvalid) && !errors.Is(err, safeguarding.ErrNotApplicable) {
		return ""
	}
	msg := err.Error()
	for _, f := range []string{"people", "action", "for", "scope", "informed", "reason", "notes"} {
		if strings.Contains(msg, ": "+f+":") || strings.Contains(msg, ": "+f+".") || strings.HasPrefix(msg, f+":") {
			return f
		}
	}
	return ""
}
