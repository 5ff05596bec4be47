package console

import (
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/safeguarding"
	"schoolgate/internal/sitetime"
)

// investigationOpenForm opens an Appendix G record from an incident.
type investigationOpenForm struct {
	Group, Date, ReasonKind, Reason, ComputerName, ComputerLocation string
}

func readInvestigationOpenForm(r *http.Request) investigationOpenForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return investigationOpenForm{Group: g("group"), Date: g("date"), ReasonKind: g("reason_kind"), Reason: g("reason"),
		ComputerName: g("computer_name"), ComputerLocation: g("computer_location")}
}

func (f investigationOpenForm) domain() safeguarding.OpenInvestigation {
	return safeguarding.OpenInvestigation{Group: f.Group, Date: f.Date, ReasonKind: f.ReasonKind, Reason: f.Reason,
		ComputerName: f.ComputerName, ComputerLocation: f.ComputerLocation}
}

// investigationSiteForm adds a web site address or device.
type investigationSiteForm struct {
	Address, ConcernKind, Concern string
}

func readInvestigationSiteForm(r *http.Request) investigationSiteForm {
	return investigationSiteForm{Address: strings.TrimSpace(r.PostFormValue("address")), ConcernKind: r.PostFormValue("concern_kind"),
		Concern: strings.TrimSpace(r.PostFormValue("concern"))}
}

// signForm is a reviewer's signature: their position and, again, their
// password or a TOTP code.
type signForm struct {
	Position, Secret string
}

func readSignForm(r *http.Request) signForm {
	return signForm{Position: strings.TrimSpace(r.PostFormValue("position")), Secret: r.PostFormValue("secret")}
}

func (f signForm) Validate() *FieldError {
	if f.Position == "" {
		return fieldErr("position", "give your position")
	}
	if f.Secret == "" {
		return fieldErr("secret", "enter your password or a code from your authenticator app: that is your signature")
	}
	return nil
}

// invReferralForm records a referral.
type invReferralForm struct {
	To, Reference, When string
}

func readInvReferralForm(r *http.Request) invReferralForm {
	return invReferralForm{To: strings.TrimSpace(r.PostFormValue("to")), Reference: strings.TrimSpace(r.PostFormValue("reference")),
		When: strings.TrimSpace(r.PostFormValue("when"))}
}

// Validate checks the form and reads its time (site-local; empty: now).
func (f invReferralForm) Validate(now time.Time, loc *time.Location) (time.Time, *FieldError) {
	if f.To == "" {
		return time.Time{}, fieldErr("to", "say who it was referred to")
	}
	if f.When == "" {
		return now, nil
	}
	t, ok := sitetime.Parse(f.When, loc)
	if !ok {
		return time.Time{}, fieldErr("when", "%q: want a date and time (2026-12-02T10:00) in the school's time zone", f.When)
	}
	return t, nil
}

// concludeForm concludes the record.
type concludeForm struct {
	Conclusion, Action string
}

func readConcludeForm(r *http.Request) concludeForm {
	return concludeForm{Conclusion: strings.TrimSpace(r.PostFormValue("conclusion")), Action: strings.TrimSpace(r.PostFormValue("action"))}
}
