package config

import (
	"fmt"
	"regexp"
)

// DefaultSiteID is the site of a single school's installation.
const DefaultSiteID = "school"

var siteIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func (s Site) validateID() error {
	if !siteIDPattern.MatchString(s.ID) {
		return fmt.Errorf("site.id %q: use lower-case letters, digits and hyphens (e.g. school-a)", s.ID)
	}
	return nil
}
