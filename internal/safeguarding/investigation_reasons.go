package safeguarding

import (
	"slices"

	"schoolgate/internal/config"
)

// InvestigationReason is a reason for investigation or for concern about
// a site. A police reason stops the review: the seeds say to halt the
// monitoring and report to the police at once.
type InvestigationReason struct {
	Name   string
	Title  string
	Police bool
}

// investigationReasons are the seeds' police matters ("Responding to
// incidents of misuse") first, then the ordinary concerns.
var investigationReasons = []InvestigationReason{
	{"child-sexual-abuse-material", "Possible child sexual abuse material", true},
	{"grooming", "Grooming behaviour", true},
	{"obscene-material-to-child", "Obscene material sent to a child", true},
	{"obscene-publications", "Adult material which potentially breaches the Obscene Publications Act", true},
	{"criminally-racist-material", "Criminally racist material", true},
	{"other-criminal", "Other criminal conduct, activity or materials", true},
	{"inappropriate-content", "Inappropriate or unsuitable content (not illegal)", false},
	{"misuse", "Misuse of school systems, accounts or devices", false},
	{"bullying", "Bullying, harassment or threats", false},
	{"other", "Another concern (describe it)", false},
}

// InvestigationReasons is the list in force: the seeds' reasons, then
// every illegal incident category of the policy not already among them,
// as a police matter.
func InvestigationReasons(c *config.Config) []InvestigationReason {
	out := slices.Clone(investigationReasons)
	for _, ic := range IncidentCategories(c) {
		if ic.Illegal && !slices.ContainsFunc(out, func(r InvestigationReason) bool { return r.Name == ic.Name }) {
			out = append(out, InvestigationReason{Name: ic.Name, Title: ic.Title, Police: true})
		}
	}
	return out
}

// investigationReason finds a reason by name.
func investigationReason(rs []InvestigationReason, name string) (InvestigationReason, bool) {
	i := slices.IndexFunc(rs, func(r InvestigationReason) bool { return r.Name == name })
	if i < 0 {
		return InvestigationReason{}, false
	}
	return rs[i], true
}

// ReferralStep is one thing to do when a review stops at a police
// matter, with the public address to report at (text, not a link).
type ReferralStep struct {
	To      string `json:"to"`
	What    string `json:"what"`
	Address string `json:"address,omitempty"`
}

// ReferralSteps are the seeds' right-hand side of the flowchart.
var ReferralSteps = []ReferralStep{
	{"Stop", "Do not view, copy, print, screenshot or forward the material any further. Isolate the computer as best you can and do not change its state: it may be needed by the police.", ""},
	{"Police", "Report to the police at once: 999 if a child is in immediate danger, otherwise 101.", "https://www.police.uk/"},
	{"CEOP", "Report online child sexual abuse or grooming to CEOP (the National Crime Agency's child protection command).", "https://www.ceop.police.uk/ceop-reporting/"},
	{"IWF", "Report the web address of child sexual abuse images or videos to the Internet Watch Foundation.", "https://report.iwf.org.uk/"},
	{"LADO", "If an adult working with children is involved, refer to the headteacher and the local authority designated officer, never to colleagues.", ""},
}
