package config

import "fmt"

// Incidents is the `incidents:` section: the kinds of incident the
// school records (the seeds' unsuitable and illegal activities and the
// rows of their sanctions tables). Without it, the built-in list from
// the seeds applies; with it, these are added to (or rename) the
// built-in ones.
type Incidents struct {
	Categories Ordered[IncidentCategory] `yaml:"categories"`
}

// IncidentCategory is one kind of incident.
type IncidentCategory struct {
	Title string `yaml:"title"`
	// Illegal: a matter for the police (child sexual abuse material,
	// grooming, obscene material sent to a child, criminally racist
	// material): an investigation stops and shows the referral steps.
	Illegal bool `yaml:"illegal"`
	Line    int  `yaml:"-"`
}

func (in *Incidents) validate() error {
	for _, e := range in.Categories {
		if e.Value.Title == "" {
			return fmt.Errorf("incidents.categories.%s (line %d): a title is needed", e.Name, e.Line)
		}
	}
	return nil
}
