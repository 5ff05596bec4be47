package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

const incidentsUsage = `usage: schoolgate incidents list --as STAFF [--status S] [--category C] [--person USER] [--json]
       schoolgate incidents show ID --as STAFF [--json]
--site NAME: the school (needed when the database holds several).`

// incidentJSON is an incident as the command line prints it with --json:
// current values (corrections applied); a restricted one (about staff,
// which the reader only reported) has its number, dates and status.
type incidentJSON struct {
	ID         int64               `json:"id"`
	Restricted bool                `json:"restricted,omitempty"`
	OccurredAt string              `json:"occurred_at,omitempty"`
	Category   string              `json:"category,omitempty"`
	Summary    string              `json:"summary,omitempty"`
	People     []string            `json:"people"`
	Outsiders  []string            `json:"outsiders,omitempty"`
	AboutStaff bool                `json:"about_staff"`
	Status     string              `json:"status"`
	Outcome    string              `json:"outcome,omitempty"`
	ReportedBy string              `json:"reported_by"`
	ReportedAt string              `json:"reported_at"`
	Entries    []incidentEntryJSON `json:"entries,omitempty"`
	Evidence   []evidenceJSON      `json:"evidence,omitempty"`
}

type incidentEntryJSON struct {
	At     string `json:"at"`
	By     string `json:"by"`
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	Reason string `json:"reason,omitempty"`
	Data   string `json:"data,omitempty"`
}

type evidenceJSON struct {
	Kind    string `json:"kind"`
	Ref     string `json:"ref"`
	AddedBy string `json:"added_by"`
	AddedAt string `json:"added_at"`
	Copied  string `json:"copied"`
}

func toIncidentJSON(v safeguarding.IncidentView) incidentJSON {
	out := incidentJSON{ID: v.ID, Restricted: v.Restricted, AboutStaff: v.AboutStaff, Status: v.Status, Outcome: v.Outcome,
		ReportedBy: v.ReportedBy, ReportedAt: v.ReportedAt.UTC().Format(time.RFC3339), People: []string{}}
	if v.Restricted {
		return out
	}
	out.OccurredAt, out.Category, out.Summary = v.Current.OccurredAt.UTC().Format(time.RFC3339), v.Current.Category, v.Current.Summary
	for _, p := range v.People {
		if p.Username != "" {
			out.People = append(out.People, p.Username)
		} else {
			out.Outsiders = append(out.Outsiders, p.Description)
		}
	}
	for _, e := range v.Entries {
		out.Entries = append(out.Entries, incidentEntryJSON{At: e.At.UTC().Format(time.RFC3339), By: e.By, Kind: e.Kind, Text: e.Text, Reason: e.Reason, Data: e.Data})
	}
	for _, ev := range v.Evidence {
		out.Evidence = append(out.Evidence, evidenceJSON{Kind: ev.Kind, Ref: ev.Ref, AddedBy: ev.AddedBy, AddedAt: ev.AddedAt.UTC().Format(time.RFC3339), Copied: ev.Copied})
	}
	return out
}

// runIncidents reads the incident log as a member of staff (--as), with
// the console's rules: the domain layer decides what they see and
// audits the view.
func runIncidents(ctx context.Context, a *App, args []string) error {
	sub := ""
	if len(args) > 0 && (args[0] == "list" || args[0] == "show") {
		sub, args = args[0], args[1:]
	}
	fs := newFlags(a, "incidents")
	withUsage(a, fs, incidentsUsage)
	var cf commonFlags
	cf.register(a, fs)
	var sf siteFlag
	sf.register(fs)
	as := fs.String("as", "", "the member of staff reading: a directory person (required)")
	status := fs.String("status", "", "list: open, under-investigation or closed")
	category := fs.String("category", "", "list: an incident category's name")
	person := fs.String("person", "", "list: a username involved")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if sub == "" {
		return fmt.Errorf("%w: incidents list or incidents show ID\n%s", ErrUsage, incidentsUsage)
	}
	if err := requireFlags(incidentsUsage, flagValue{"--as", *as}); err != nil {
		return err
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
	sg, err := newSafeguardingCLI(a, st, cfg, cf.data, site)
	if err != nil {
		return err
	}
	actor, err := sg.person(ctx, *as, "--as must name a member of staff who may record incidents")
	if err != nil {
		return err
	}
	inc := safeguarding.NewIncidents(safeguarding.IncidentsOptions{Store: st, Directory: sg.dir, Config: func() *config.Config { return cfg }})
	switch sub {
	case "list":
		if len(pos) != 0 {
			return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], incidentsUsage)
		}
		list, err := inc.List(ctx, actor, store.IncidentFilter{Status: *status, Category: *category, Person: *person})
		if err != nil {
			return incidentResult(err)
		}
		if *asJSON {
			out := make([]incidentJSON, len(list))
			for i, v := range list {
				out[i] = toIncidentJSON(v)
			}
			return writeJSONLines(a.Stdout, out)
		}
		tw := tabwriter.NewWriter(a.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tWHEN\tCATEGORY\tPEOPLE\tSTATUS\tREPORTED BY\tSUMMARY")
		for _, v := range list {
			j := toIncidentJSON(v)
			if v.Restricted {
				fmt.Fprintf(tw, "%d\t-\t-\t-\t%s\t%s\t(about staff: you reported it; it is with the dsl)\n", j.ID, j.Status, safe(j.ReportedBy))
				continue
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.OccurredAt, safe(j.Category), safe(strings.Join(append(j.People, j.Outsiders...), ", ")),
				j.Status, safe(j.ReportedBy), safe(oneLine(j.Summary)))
		}
		return tw.Flush()
	default:
		if len(pos) != 1 {
			return fmt.Errorf("%w: incidents show takes one ID\n%s", ErrUsage, incidentsUsage)
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not an incident number", ErrUsage, pos[0])
		}
		v, err := inc.Get(ctx, actor, id)
		if err != nil {
			return incidentResult(err)
		}
		j := toIncidentJSON(v)
		if *asJSON {
			return newJSON(a.Stdout).Encode(j)
		}
		return printIncident(a, j)
	}
}

func printIncident(a *App, j incidentJSON) error {
	w := a.Stdout
	fmt.Fprintf(w, "incident %d (%s)\n", j.ID, j.Status)
	if j.Restricted {
		fmt.Fprintf(w, "You reported this incident on %s. It involves a member of staff: it is with the designated safeguarding lead, and you may know no more of it.\n", j.ReportedAt)
		return nil
	}
	fmt.Fprintf(w, "when:      %s\ncategory:  %s\npeople:    %s\nreported:  %s by %s\n", j.OccurredAt, safe(j.Category),
		safe(strings.Join(append(j.People, j.Outsiders...), ", ")), j.ReportedAt, safe(j.ReportedBy))
	if j.AboutStaff {
		fmt.Fprintln(w, "about staff: "+safeguarding.AboutStaffAdvice)
	}
	fmt.Fprintf(w, "summary:   %s\n", safeLines(j.Summary))
	if j.Outcome != "" {
		fmt.Fprintf(w, "outcome:   %s\n", safeLines(j.Outcome))
	}
	for _, e := range j.Entries {
		line := fmt.Sprintf("  %s %s %s: %s", e.At, safe(e.By), e.Kind, safe(oneLine(e.Text)))
		if e.Reason != "" {
			line += " (reason: " + safe(oneLine(e.Reason)) + ")"
		}
		if e.Data != "" {
			line += " " + safe(oneLine(e.Data))
		}
		fmt.Fprintln(w, line)
	}
	for _, ev := range j.Evidence {
		fmt.Fprintf(w, "  evidence %s %s (copied %s by %s): %s\n", safe(ev.Kind), safe(ev.Ref), ev.AddedAt, safe(ev.AddedBy), safe(ev.Copied))
	}
	return nil
}

// incidentResult turns a refusal into a usage error naming the roles.
func incidentResult(err error) error {
	var fe *safeguarding.ForbiddenError
	switch {
	case errors.As(err, &fe):
		return fmt.Errorf("%w: --as must name a member of staff with the %s role, or who reported it; %s", ErrUsage,
			safeguarding.OrList(safeguarding.RolesWith(fe.Capability)), whoIs(fe.Actor))
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: no such incident", ErrUsage)
	}
	return err
}
