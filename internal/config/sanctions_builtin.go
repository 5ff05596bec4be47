package config

// BuiltinSanctions is the seeds' two tables of actions ("School
// Actions", pupils and staff), row by row as the seeds mark them, keyed
// by the built-in incident categories. It applies when the policy has no
// `sanctions:` (or lacks one of its tables). A new copy each call.
func BuiltinSanctions() Sanctions {
	const (
		teacher, hoy, head, police = ActionReferClassTeacher, ActionReferHeadOfYear, ActionReferHeadteacher, ActionReferPolice
		tech, parents, removal     = ActionReferTechnical, ActionInformParents, ActionRemovalOfAccess
		warning, further           = ActionWarning, ActionFurtherSanction
		line, la                   = ActionReferLineManager, ActionReferLocalAuthority
		suspension, disciplinary   = ActionSuspension, ActionDisciplinary
	)
	row := func(cat string, actions ...string) Entry[[]string] {
		return Entry[[]string]{Name: cat, Value: actions}
	}
	return Sanctions{
		Pupils: Ordered[[]string]{
			row("accessing-illegal-material", hoy, head, police),
			row("non-educational-use-in-lessons", teacher),
			row("mobile-device-misuse", teacher, hoy, head),
			row("social-media-messaging", teacher, hoy),
			row("recording-device", teacher, hoy),
			row("unauthorised-files", teacher, hoy, head),
			row("sharing-credentials", teacher, hoy, head),
			row("using-another-pupils-account", teacher, hoy, head, tech),
			row("using-staff-account", teacher, hoy, head, tech, parents),
			row("corrupting-data", teacher, hoy, head, tech, parents),
			row("bullying-messages", teacher, hoy, head, parents),
			row("continued-infringements", teacher, hoy, head, police, tech, parents, removal),
			row("disrepute", teacher, hoy, head, police, parents, removal, warning, further),
			row("subverting-filtering", teacher, hoy, head, tech, parents, removal),
			row("accidental-access-unreported", teacher, hoy, tech),
			row("pornography", teacher, hoy, head, tech, parents, removal),
			row("copyright", teacher),
		},
		Staff: Ordered[[]string]{
			row("accessing-illegal-material", head, la, police),
			row("inappropriate-personal-use", line, head),
			row("unauthorised-files", line, head, tech),
			row("sharing-credentials", line, head, tech),
			row("using-staff-account", line, head, tech),
			row("personal-data-carelessness", line, head),
			row("breaching-data-protection", line, head, tech),
			row("corrupting-data", line, head, la),
			row("bullying-messages", line, head, la),
			row("private-communication-with-pupils", line, head),
			row("professional-standing", line, head, la),
			row("disrepute", line, head, la),
			row("subverting-filtering", line, head, la),
			row("accidental-access-unreported", line, tech),
			row("pornography", line, head, la, tech),
			row("copyright", line),
			row("continued-infringements", line, head, la, police, warning, suspension, disciplinary),
		},
	}
}
