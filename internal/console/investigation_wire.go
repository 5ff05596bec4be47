package console

import "schoolgate/internal/safeguarding"

// newInvestigations is the investigations of the console's store: a
// signature is the signer's password or TOTP code checked again, through
// the directory (its hashes and rate limits) and the console's second
// factors (each time step good once).
func newInvestigations(opt Options) *safeguarding.Investigations {
	return safeguarding.NewInvestigations(safeguarding.InvestigationsOptions{
		Store:    opt.Store,
		Snapshot: opt.Snapshot,
		Verify:   safeguarding.Reconfirmer{Passwords: opt.Directory, TOTP: opt.Store, Now: opt.Now},
		Now:      opt.Now,
	})
}
