package config

import (
	"fmt"
	"slices"
	"strings"
)

// Sanctions is the `sanctions:` section: the seeds' two tables of
// actions ("School Actions": one for pupils, one for staff), each an
// incident category → the actions the school suggests for it. Without
// the section (or without one of its tables) the built-in copy of the
// seeds' table applies (BuiltinSanctions). Recording an incident's
// sanctions shows these; the person recording picks what was done.
type Sanctions struct {
	Pupils Ordered[[]string] `yaml:"pupils"`
	Staff  Ordered[[]string] `yaml:"staff"`
	Line   int               `yaml:"-"`
}

// SanctionAction is one column of the seeds' tables.
type SanctionAction struct {
	Name  string
	Title string
	// Pupils, Staff: the table the column belongs to.
	Pupils, Staff bool
}

// The actions, as the API and the policy file name them.
const (
	ActionReferClassTeacher   = "refer_class_teacher"
	ActionReferHeadOfYear     = "refer_head_of_year"
	ActionReferHeadteacher    = "refer_headteacher"
	ActionReferPolice         = "refer_police"
	ActionReferTechnical      = "refer_technical"
	ActionInformParents       = "inform_parents"
	ActionRemovalOfAccess     = "removal_of_access"
	ActionWarning             = "warning"
	ActionFurtherSanction     = "further_sanction"
	ActionReferLineManager    = "refer_line_manager"
	ActionReferLocalAuthority = "refer_local_authority"
	ActionSuspension          = "suspension"
	ActionDisciplinary        = "disciplinary"
)

// sanctionActions is every column, the pupils' table's order first.
var sanctionActions = []SanctionAction{
	{ActionReferClassTeacher, "Refer to class teacher / tutor", true, false},
	{ActionReferHeadOfYear, "Refer to Head of Department / Head of Year / other", true, false},
	{ActionReferLineManager, "Refer to line manager", false, true},
	{ActionReferHeadteacher, "Refer to Headteacher / Principal", true, true},
	{ActionReferLocalAuthority, "Refer to Local Authority / HR", false, true},
	{ActionReferPolice, "Refer to Police", true, true},
	{ActionReferTechnical, "Refer to technical support staff for action re filtering / security", true, true},
	{ActionInformParents, "Inform parents / carers", true, false},
	{ActionRemovalOfAccess, "Removal of network / internet access rights", true, false},
	{ActionWarning, "Warning", true, true},
	{ActionFurtherSanction, "Further sanction, e.g. detention / exclusion", true, false},
	{ActionSuspension, "Suspension", false, true},
	{ActionDisciplinary, "Disciplinary action", false, true},
}

// SanctionActions lists every action (a new slice each call).
func SanctionActions() []SanctionAction { return slices.Clone(sanctionActions) }

// SanctionActionNamed finds an action by name.
func SanctionActionNamed(name string) (SanctionAction, bool) {
	i := slices.IndexFunc(sanctionActions, func(a SanctionAction) bool { return a.Name == name })
	if i < 0 {
		return SanctionAction{}, false
	}
	return sanctionActions[i], true
}

func (a SanctionAction) forTable(pupils bool) bool {
	if pupils {
		return a.Pupils
	}
	return a.Staff
}

// tableActions names a table's columns, for messages.
func tableActions(pupils bool) []string {
	var out []string
	for _, a := range sanctionActions {
		if a.forTable(pupils) {
			out = append(out, a.Name)
		}
	}
	return out
}

// PupilTable is the pupils' table in force: the policy's, else the
// built-in one.
func (s *Sanctions) PupilTable() Ordered[[]string] {
	if s.Pupils == nil {
		return BuiltinSanctions().Pupils
	}
	return s.Pupils
}

// StaffTable is the staff table in force: the policy's, else the
// built-in one.
func (s *Sanctions) StaffTable() Ordered[[]string] {
	if s.Staff == nil {
		return BuiltinSanctions().Staff
	}
	return s.Staff
}

// validate checks the actions of both tables (the categories are checked
// against the incident categories by CheckCategories). A category may
// suggest nothing ([]), but not an action twice or one of the other
// table's.
func (s *Sanctions) validate() error {
	for _, t := range []struct {
		name   string
		pupils bool
		rows   Ordered[[]string]
	}{{"pupils", true, s.Pupils}, {"staff", false, s.Staff}} {
		for _, e := range t.rows {
			seen := map[string]bool{}
			for _, name := range e.Value {
				field := "sanctions." + t.name + "." + e.Name
				a, ok := SanctionActionNamed(name)
				switch {
				case !ok || !a.forTable(t.pupils):
					return fmt.Errorf("%s (line %d): %q is not an action of the %s table (one of %s)", field, e.Line, name, t.name, strings.Join(tableActions(t.pupils), ", "))
				case seen[name]:
					return fmt.Errorf("%s (line %d): %q is given twice", field, e.Line, name)
				}
				seen[name] = true
			}
		}
	}
	return nil
}

// CheckCategories refuses a row whose category known does not know
// (the incident categories: the built-in ones and incidents.categories,
// which the safeguarding package lists). The error names the file, the
// line and the field, and wraps ErrInvalid.
func (c *Config) CheckSanctionCategories(known func(string) bool) error {
	s := &c.Sanctions
	for _, t := range []struct {
		name string
		rows Ordered[[]string]
	}{{"pupils", s.Pupils}, {"staff", s.Staff}} {
		for _, e := range t.rows {
			if !known(e.Name) {
				return &Error{File: c.File, Line: e.Line, Field: "sanctions." + t.name + "." + e.Name,
					Msg: "not an incident category (the built-in ones, or add it under incidents.categories)"}
			}
		}
	}
	return nil
}
