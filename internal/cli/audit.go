package cli

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/store"
)

const auditUsage = `usage: schoolgate audit verify [--head HASH]   check the whole chain (and that HASH, written down earlier, is still in it)
       schoolgate audit head                   print the latest record's id and hash
       schoolgate audit list [--since T] [--actor A] [--action X] [--limit N]   one JSON record a line
--site NAME: the school (needed when the database holds several).`

func runAudit(ctx context.Context, a *App, args []string) error {
	if err := helpFor(a, args, auditUsage); err != nil {
		return err
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: a subcommand\n%s", ErrUsage, auditUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags(a, "audit "+sub)
	withUsage(a, fs, auditUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	head := fs.String("head", "", "verify: a head hash written down earlier")
	since := fs.String("since", "", "list: from (RFC 3339, a site-local time or date such as 2026-12-02 10:00, or 7d back)")
	actor := fs.String("actor", "", "list: only this actor")
	action := fs.String("action", "", "list: only this action")
	limit := fs.Int("limit", 0, "list: at most N records")
	fs.String("by", "", "who is reading (free text; a read command never checks it)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], auditUsage)
	}
	if sub != "verify" && sub != "head" && sub != "list" {
		return fmt.Errorf("%w: unknown subcommand %q\n%s", ErrUsage, sub, auditUsage)
	}
	st, cfg, err := cliStore(ctx, a, &cf)
	if err != nil {
		return err
	}
	defer st.Close()
	site, err := sf.resolve(ctx, st, cfg, false)
	if err != nil {
		return err
	}
	switch sub {
	case "head":
		id, hash, err := st.AuditHead(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%d %s\n", id, hash)
		return nil
	case "verify":
		res, err := st.VerifyAudit(ctx, *head)
		if err != nil {
			return err
		}
		if !res.OK() {
			fmt.Fprintf(a.Stdout, "BROKEN at record %d: %s\n", res.BadID, res.Problem)
			return fmt.Errorf("%w: first bad record %d", store.ErrAuditBroken, res.BadID)
		}
		fmt.Fprintf(a.Stdout, "OK: %d records, head %d %s\n", res.Records, res.HeadID, res.HeadHash)
		return nil
	default:
		loc, err := siteLocation(cfg)
		if err != nil {
			return err
		}
		t, err := parseWhen("--since", *since, loc, time.Now(), true)
		if err != nil {
			return err
		}
		recs, err := st.ListAudit(ctx, store.AuditFilter{Since: t, Actor: *actor, Action: *action, Limit: *limit, Site: site})
		if err != nil {
			return err
		}
		return writeJSONLines(a.Stdout, recs)
	}
}
