package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/sitetime"
	"schoolgate/internal/store"
)

// checkForm records a filtering check by hand (or corrects one).
type checkForm struct {
	At, Target, Tested, Result, Actions, Details, Corrects, Reason string
}

func readCheckForm(r *http.Request) checkForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return checkForm{At: g("at"), Target: g("target"), Tested: g("tested"), Result: g("result"), Actions: g("actions"),
		Details: g("details"), Corrects: g("corrects"), Reason: g("reason")}
}

// Validate reads the form as a check in the site's time zone.
func (f checkForm) Validate(now time.Time, loc *time.Location) (safeguarding.CheckInput, *FieldError) {
	in := safeguarding.CheckInput{At: now, Target: f.Target, Tested: f.Tested, Result: f.Result, Actions: f.Actions, Details: f.Details, Reason: f.Reason}
	if f.At != "" {
		t, ok := sitetime.Parse(f.At, loc)
		if !ok {
			return in, fieldErr("at", "%q is not a date and time (e.g. 2026-12-02 09:30)", f.At)
		}
		if t.After(now.Add(5 * time.Minute)) {
			return in, fieldErr("at", "the check cannot be in the future")
		}
		in.At = t
	}
	if f.Target == "" {
		return in, fieldErr("target", "say which device or network was checked")
	}
	if f.Tested == "" {
		return in, fieldErr("tested", "say what was tested")
	}
	if !store.ValidResult(f.Result) {
		return in, fieldErr("result", "choose pass, fail or partial")
	}
	if f.Corrects != "" {
		id, err := strconv.ParseInt(f.Corrects, 10, 64)
		if err != nil || id <= 0 {
			return in, fieldErr("corrects", "%q is not a check number", f.Corrects)
		}
		if f.Reason == "" {
			return in, fieldErr("reason", "say why the check is corrected")
		}
		in.Corrects = id
	}
	return in, nil
}

// reviewForm records the annual review: the people who took part by
// role, what was reviewed and what was decided.
type reviewForm struct {
	HeldOn, SLT, DSL, Technical, Governor, GovernorName, Reviewed, Decisions string
}

func readReviewForm(r *http.Request) reviewForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return reviewForm{HeldOn: g("held_on"), SLT: g("slt"), DSL: g("dsl"), Technical: g("technical"), Governor: g("governor"),
		GovernorName: g("governor_name"), Reviewed: g("reviewed"), Decisions: g("decisions")}
}

// Validate checks what the form can check by itself; the domain checks
// the people against the directory.
func (f reviewForm) Validate() (safeguarding.ReviewInput, *FieldError) {
	in := safeguarding.ReviewInput{HeldOn: f.HeldOn, Reviewed: f.Reviewed, Decisions: f.Decisions}
	if _, err := time.Parse(time.DateOnly, f.HeldOn); err != nil {
		return in, fieldErr("held_on", "give the date of the review")
	}
	if f.SLT == "" {
		return in, fieldErr("slt", "give the username of the member of the senior leadership team who took part")
	}
	if f.DSL == "" {
		return in, fieldErr("dsl", "give the username of the designated safeguarding lead who took part")
	}
	if f.Reviewed == "" {
		return in, fieldErr("reviewed", "say what was reviewed")
	}
	if f.Decisions == "" {
		return in, fieldErr("decisions", "record the decisions (or that nothing changes)")
	}
	in.Participants = []store.Participant{{Role: "slt", Username: f.SLT}, {Role: "dsl", Username: f.DSL}}
	if f.Technical != "" {
		in.Participants = append(in.Participants, store.Participant{Role: "technical", Username: f.Technical})
	}
	if f.Governor != "" || f.GovernorName != "" {
		in.Participants = append(in.Participants, store.Participant{Role: "governor", Username: f.Governor, Name: f.GovernorName})
	}
	return in, nil
}
