package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/identity"
)

// FieldError is a form value the console cannot use: it names the field.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// loginForm is the sign-in form.
type loginForm struct {
	Username, Password string
}

func readLoginForm(r *http.Request) loginForm {
	return loginForm{Username: strings.TrimSpace(r.PostFormValue("username")), Password: r.PostFormValue("password")}
}

func (f loginForm) Validate() *FieldError {
	if f.Username == "" {
		return fieldErr("username", "enter your username")
	}
	if f.Password == "" {
		return fieldErr("password", "enter your password")
	}
	return nil
}

// codeForm is a TOTP code or a recovery code.
type codeForm struct {
	Code string
}

func readCodeForm(r *http.Request) codeForm {
	return codeForm{Code: strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("code")), " ", "")}
}

func (f codeForm) Validate() *FieldError {
	if f.Code == "" {
		return fieldErr("code", "enter the code from your authenticator app or a recovery code")
	}
	return nil
}

// setupForm creates the first account.
type setupForm struct {
	Token, Username, DisplayName, Password, Confirm string
	Roles                                           []identity.Role
}

func readSetupForm(r *http.Request) (setupForm, *FieldError) {
	f := setupForm{Token: r.PostFormValue("token"), Username: strings.TrimSpace(r.PostFormValue("username")),
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name")), Password: r.PostFormValue("password"), Confirm: r.PostFormValue("confirm")}
	for _, s := range r.PostForm["roles"] {
		role, err := identity.ParseRole(s)
		if err != nil {
			return f, fieldErr("roles", "%v", err)
		}
		f.Roles = append(f.Roles, role)
	}
	return f, nil
}

func (f setupForm) Validate() *FieldError {
	if f.Username == "" {
		return fieldErr("username", "choose a username")
	}
	if !setupHasAdmin(f.Roles) {
		return fieldErr("roles", "the first account needs the slt or technical role, to add everyone else")
	}
	for _, r := range f.Roles {
		if r == identity.RolePupil || r == identity.RoleVisitor {
			return fieldErr("roles", "a %s cannot sign in to the console", r)
		}
	}
	if err := identity.CheckPasswordPolicy(f.Username, f.Password, false); err != nil {
		return fieldErr("password", "%v", err)
	}
	if f.Password != f.Confirm {
		return fieldErr("confirm", "the two passwords differ")
	}
	return nil
}

func setupHasAdmin(rs []identity.Role) bool {
	for _, r := range rs {
		if r == identity.RoleSLT || r == identity.RoleTechnical {
			return true
		}
	}
	return false
}

// approveForm approves a request.
type approveForm struct {
	For    string // lesson, today, week, until
	Until  string // a date, for "until"
	Scope  string // user, device, group
	Group  string
	Reason string
}

func readApproveForm(r *http.Request) approveForm {
	return approveForm{For: r.PostFormValue("for"), Until: strings.TrimSpace(r.PostFormValue("until")),
		Scope: r.PostFormValue("scope"), Group: strings.TrimSpace(r.PostFormValue("group")), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
}

// Validate checks the form and returns how long the approval lasts from
// now (in loc, the site's time zone).
func (f approveForm) Validate(now time.Time, loc *time.Location) (time.Duration, *FieldError) {
	d, ferr := untilChoice("for", f.For, "until", f.Until, now, loc)
	if ferr != nil {
		return 0, ferr
	}
	switch f.Scope {
	case "user", "device":
	case "group":
		if f.Group == "" {
			return 0, fieldErr("group", "choose the group")
		}
	default:
		return 0, fieldErr("scope", "choose the pupil, the device or a group")
	}
	if f.Reason == "" {
		return 0, fieldErr("reason", "give a reason: it is kept in the audit trail")
	}
	return d, nil
}

// untilChoice reads this lesson (1h) / today / this week / until a date
// as a duration from now.
func untilChoice(field, choice, dateField, date string, now time.Time, loc *time.Location) (time.Duration, *FieldError) {
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	var end time.Time
	switch choice {
	case "lesson":
		return time.Hour, nil
	case "today":
		end = midnight.AddDate(0, 0, 1)
	case "week":
		// To the end of Sunday.
		days := (7 - int(local.Weekday())) % 7
		end = midnight.AddDate(0, 0, days+1)
	case "until":
		t, err := time.ParseInLocation("2006-01-02", date, loc)
		if err != nil {
			return 0, fieldErr(dateField, "give a date (YYYY-MM-DD)")
		}
		end = t.AddDate(0, 0, 1)
		if !end.After(now) {
			return 0, fieldErr(dateField, "the date has passed")
		}
		if end.Sub(now) > 366*24*time.Hour {
			return 0, fieldErr(dateField, "at most a year ahead")
		}
	default:
		return 0, fieldErr(field, "choose how long")
	}
	return end.Sub(now), nil
}

// denyForm declines a request.
type denyForm struct {
	Reason string
}

func (f denyForm) Validate() *FieldError {
	if strings.TrimSpace(f.Reason) == "" {
		return fieldErr("reason", "give a reason: the pupil sees it")
	}
	return nil
}

// grantForm is a teacher's grant.
type grantForm struct {
	ToKind   string // user or group
	User     string
	Group    string
	WhatKind string // category or site
	Category string
	Site     string
	For      string // minutes, or "today"
	Reason   string
}

func readGrantForm(r *http.Request) grantForm {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return grantForm{ToKind: g("to"), User: g("user"), Group: g("group"), WhatKind: g("what"), Category: g("category"),
		Site: g("site"), For: g("for"), Reason: g("reason")}
}

// grantDurations are the choices of the grant form, in minutes.
var grantDurations = []int{30, 45, 60, 90, 120}

// Validate checks the form and returns the grantee and the duration.
func (f grantForm) Validate(now time.Time, loc *time.Location) (string, time.Duration, *FieldError) {
	var to string
	switch f.ToKind {
	case "user":
		if to = f.User; to == "" {
			return "", 0, fieldErr("user", "give the pupil's username")
		}
	case "group":
		if to = f.Group; to == "" {
			return "", 0, fieldErr("group", "choose the group")
		}
	default:
		return "", 0, fieldErr("to", "choose a pupil or a group")
	}
	switch f.WhatKind {
	case "category":
		if f.Category == "" {
			return "", 0, fieldErr("category", "choose the category")
		}
	case "site":
		if f.Site == "" {
			return "", 0, fieldErr("site", "give the site (a host name, or host/path)")
		}
	default:
		return "", 0, fieldErr("what", "choose a category or a site")
	}
	var d time.Duration
	if f.For == "today" {
		d, _ = untilChoice("for", "today", "", "", now, loc)
	} else {
		m, err := strconv.Atoi(f.For)
		if err != nil || m <= 0 || m > 24*60 {
			return "", 0, fieldErr("for", "choose how long")
		}
		d = time.Duration(m) * time.Minute
	}
	if f.Reason == "" {
		return "", 0, fieldErr("reason", "give a reason: it is kept in the audit trail")
	}
	return to, d, nil
}

// revokeForm ends a grant.
type revokeForm struct {
	Reason string
}

func (f revokeForm) Validate() *FieldError {
	if strings.TrimSpace(f.Reason) == "" {
		return fieldErr("reason", "give a reason")
	}
	return nil
}
