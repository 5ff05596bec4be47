package console

import (
	"net/http"
	"strings"
)

// subjectOpenForm logs a subject-access request.
type subjectOpenForm struct {
	Username string
	Received string // YYYY-MM-DD, site time; empty: today
}

func readSubjectOpenForm(r *http.Request) subjectOpenForm {
	return subjectOpenForm{Username: strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))), Received: strings.TrimSpace(r.PostFormValue("received"))}
}

// subjectWithholdForm keeps an item out of an export.
type subjectWithholdForm struct {
	Item, Exemption, Reason string
}

func readSubjectWithholdForm(r *http.Request) subjectWithholdForm {
	return subjectWithholdForm{Item: r.PostFormValue("item"), Exemption: r.PostFormValue("exemption"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
}
