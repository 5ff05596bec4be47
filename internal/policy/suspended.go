package policy

// kindSuspension is a sanction's override kind, as internal/store names
// it.
const kindSuspension = "suspension"

// Suspended reports whether a suspension of access (a sanction) made
// this decision: the block page and the DNS answer then say that access
// is suspended and until when, never why.
func (d *Decision) Suspended() bool {
	return d.Verdict == Block && d.Source == SourceOverride && d.Override != nil && d.Override.Kind == kindSuspension
}
