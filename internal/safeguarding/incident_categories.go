package safeguarding

import (
	"slices"

	"schoolgate/internal/config"
)

// IncidentCategory is a kind of incident a school records.
type IncidentCategory struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Illegal: a police matter. An investigation stops at it: no
	// screenshots, no further viewing, the referral steps instead.
	Illegal bool `json:"illegal,omitempty"`
}

// builtinIncidentCategories is the seeds' list of unsuitable and illegal
// activities and the rows of their sanctions tables, in their words.
var builtinIncidentCategories = []IncidentCategory{
	{"child-sexual-abuse-material", "Child sexual abuse images: making, producing or distributing indecent images of children", true},
	{"grooming", "Grooming, incitement, arrangement or facilitation of sexual acts against children", true},
	{"obscene-material-to-child", "Adult material sent to a child: obscene material that breaches the Obscene Publications Act", true},
	{"extreme-pornography", "Possession of an extreme pornographic image", true},
	{"criminally-racist-material", "Criminally racist material: stirring up religious hatred or hatred on the grounds of sexual orientation", true},
	{"accessing-illegal-material", "Deliberately accessing or trying to access material that could be considered illegal", false},
	{"pornography", "Deliberately accessing or trying to access offensive or pornographic material", false},
	{"accidental-access-unreported", "Accidentally accessing offensive or pornographic material and failing to report the incident", false},
	{"discrimination", "Promotion of any kind of discrimination", false},
	{"threatening-behaviour", "Threatening behaviour, including promotion of physical violence or mental harm", false},
	{"bullying-messages", "Sending an email, text or message that is regarded as offensive, harassment or of a bullying nature", false},
	{"subverting-filtering", "Using proxy sites or other means to subvert the school's filtering system", false},
	{"non-educational-use-in-lessons", "Unauthorised use of non-educational sites during lessons", false},
	{"mobile-device-misuse", "Unauthorised use of mobile phone, digital camera or other mobile device", false},
	{"social-media-messaging", "Unauthorised use of social media, messaging apps or personal email", false},
	{"recording-device", "Bringing in and using a watch with a camera or recording device", false},
	{"unauthorised-files", "Unauthorised downloading or uploading of files", false},
	{"sharing-credentials", "Allowing others to access the school network by sharing usernames and passwords", false},
	{"using-another-pupils-account", "Attempting to access or accessing the school network using another pupil's account", false},
	{"using-staff-account", "Attempting to access or accessing the school network using the account of a member of staff", false},
	{"corrupting-data", "Corrupting or destroying the data of other users or causing deliberate damage to hardware or software", false},
	{"personal-data-carelessness", "Careless use of personal data, e.g. holding or transferring data in an insecure manner", false},
	{"breaching-data-protection", "Deliberate actions to breach data protection or network security rules", false},
	{"inappropriate-personal-use", "Inappropriate personal use of the internet, social media or personal email", false},
	{"private-communication-with-pupils", "Using personal email, social networking or messaging to communicate with pupils", false},
	{"professional-standing", "Actions which could compromise the staff member's professional standing", false},
	{"disrepute", "Actions which could bring the school into disrepute or breach the integrity of its ethos", false},
	{"copyright", "Receipt or transmission of material that infringes copyright or data protection law", false},
	{"private-business", "Using school systems to run a private business", false},
	{"confidential-information", "Revealing or publicising confidential or proprietary information", false},
	{"malware", "Creating or propagating computer viruses or other harmful files", false},
	{"unfair-usage", "Unfair usage: downloading or uploading large files that hinder others", false},
	{"online-gambling", "On-line gambling", false},
	{"continued-infringements", "Continued infringements of the above, following previous warnings or sanctions", false},
}

// IncidentCategories is the built-in list with the policy's
// `incidents.categories` added (a built-in name given again takes the
// policy's title and illegal flag, except that a built-in illegal
// category stays illegal). Never empty.
func IncidentCategories(c *config.Config) []IncidentCategory {
	out := slices.Clone(builtinIncidentCategories)
	if c == nil {
		return out
	}
	for _, e := range c.Incidents.Categories {
		i := slices.IndexFunc(out, func(ic IncidentCategory) bool { return ic.Name == e.Name })
		if i < 0 {
			out = append(out, IncidentCategory{Name: e.Name, Title: e.Value.Title, Illegal: e.Value.Illegal})
			continue
		}
		out[i].Title = e.Value.Title
		out[i].Illegal = out[i].Illegal || e.Value.Illegal
	}
	return out
}

// IncidentCategoryNamed finds a category by name.
func IncidentCategoryNamed(cats []IncidentCategory, name string) (IncidentCategory, bool) {
	i := slices.IndexFunc(cats, func(ic IncidentCategory) bool { return ic.Name == name })
	if i < 0 {
		return IncidentCategory{}, false
	}
	return cats[i], true
}
