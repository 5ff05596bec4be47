package pages

import (
	"net/http"
	"strings"

	"schoolgate/internal/policy"
)

// Blocked is what the filter decided about a page it stopped.
type Blocked struct {
	URL      string
	Host     string
	Decision policy.Decision
	Snapshot *policy.Snapshot
	Ref      string
}

// blockView is the block or warning page's data.
type blockView struct {
	CSS      any
	School   string
	Contact  string
	Warn     bool
	Illegal  bool
	Host     string
	URL      string
	Category string
	Why      string
	Rule     string
	Ref      string
	When     string
	CanAsk   bool
	Asked    string
	// Suspended: access is suspended (a sanction) until this time; the
	// page says so, and never why.
	Suspended string
	// Each form's address (the block page's own) and token.
	Continue, Request, Concern form
}

// form is one form's address and token.
type form struct {
	Action string
	Token  string
}

// Blocked renders the block page (403) or, for a warn verdict, the
// warning page with Continue (200).
func (p *Pages) Blocked(w http.ResponseWriter, r *http.Request, v Visitor, b Blocked) {
	snap, d := b.Snapshot, &b.Decision
	view := blockView{
		CSS:     p.css,
		School:  snap.Config().Site.Name,
		Contact: snap.Config().BlockPage.Contact,
		Warn:    d.Verdict == policy.Warn,
		Illegal: d.Illegal,
		Host:    b.Host,
		URL:     b.URL,
		Ref:     b.Ref,
		When:    p.o.Now().In(snap.Location()).Format("Monday 2 January 2006, 15:04"),
		Rule:    snap.Rule(d),
	}
	if view.School == "" {
		view.School = "School"
	}
	view.Category, view.Why = explain(snap, d)
	view.CanAsk = !d.Illegal && !view.Warn && p.o.Requests != nil
	if d.Suspended() {
		view.Suspended = d.Override.Until.In(snap.Location()).Format("Monday 2 January 2006, 15:04")
		view.Why, view.CanAsk = "", false
	}
	if d.Illegal {
		// Never the entry, nor the address that matched it.
		view.Host, view.URL = "", ""
	}
	if view.Warn {
		view.Continue = form{p.formAction(r, "continue"), p.token("continue", v, view.URL)}
	}
	if view.CanAsk {
		view.Request = form{p.formAction(r, "request"), p.token("request", v, view.URL)}
	}
	view.Concern = form{p.formAction(r, "concern"), p.token("concern", v, view.URL)}
	status := http.StatusForbidden
	if view.Warn {
		status = http.StatusOK
	}
	p.render(w, status, "block.html", view)
}

// explain says, in plain words for a pupil, which category the page is in
// and why that stops them.
func explain(snap *policy.Snapshot, d *policy.Decision) (category, why string) {
	category = "Sites without a category"
	if d.Category >= 0 {
		category = snap.CategoryTitle(d.Category)
	}
	groups := strings.Join(snap.GroupNames(d.Groups), ", ")
	if groups == "" {
		groups = "everyone"
	}
	switch {
	case d.Illegal:
		why = "This is illegal content. It is blocked for everyone, always, and cannot be unblocked."
	case d.Source == policy.SourceOverride:
		why = "A member of staff has limited this for you for now (" + snap.Reason(d) + ")."
	case d.Source == policy.SourceException:
		why = "The school has made a special rule for this site: " + snap.Reason(d) + "."
	case d.Verdict == policy.Warn:
		why = "Sites like this are allowed for " + groups + ", but think first: is this what you meant to open, and is it right for school work?"
	case d.NeedsPermission:
		why = "Sites like this are allowed for " + groups + " only when a member of staff gives permission. Ask for access below to ask for it."
	case d.Schedule:
		why = "Sites like this are allowed for " + groups + " only at certain times of the school day, and not right now."
	case d.Category < 0:
		why = "Only sites on the school's list are open for " + groups + ", and this one is not on it."
	default:
		why = "Sites like this are not allowed for " + groups + " at school."
	}
	return category, why
}
