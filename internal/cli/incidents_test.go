package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/safeguarding"
	"schoolgate/internal/store"
)

// TestIncidentsCommand: incidents list|show read the log as the person
// --as names, with the console's rules (the lead roles see everything,
// a teacher what they reported, restricted for staff), on both
// databases; a pupil is refused.
func TestIncidentsCommand(t *testing.T) {
	p := writePolicy(t, issuePolicy, issueLists)
	cliBackends(t, func(t *testing.T, data string, open func() *store.Store) {
		sg := func(args ...string) (int, string, string) {
			t.Helper()
			return run(t, "", append(args, "-c", p, "--data", data)...)
		}
		for _, u := range [][]string{
			{"pupil7", "--role", "pupil", "--groups", "pupils-ks2"},
			{"mr.teach", "--role", "teacher"},
			{"tech", "--role", "technical"},
			{"head", "--role", "slt"},
		} {
			if code, _, errs := sg(append([]string{"users", "add", "--by", "office"}, u...)...); code != 0 {
				t.Fatalf("users add %v: %s", u, errs)
			}
		}
		st := open()
		cfg, err := config.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := store.NewDirectory(st, store.DirectoryOptions{Mapping: func() config.Identity { return cfg.Identity }, CacheTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		inc := safeguarding.NewIncidents(safeguarding.IncidentsOptions{Store: st, Directory: dir})
		ctx := context.Background()
		teacher, err := safeguarding.New(safeguarding.Options{Store: st, Directory: dir}).ResolveActor(ctx, "mr.teach", "test", "")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-time.Hour)
		pupilInc, err := inc.Record(ctx, teacher, safeguarding.NewIncident{OccurredAt: at, Category: "pornography", Summary: "Adult site in ICT", People: []string{"pupil7"}})
		if err != nil {
			t.Fatal(err)
		}
		staffInc, err := inc.Record(ctx, teacher, safeguarding.NewIncident{OccurredAt: at, Category: "professional-standing", Summary: "Messages to a pupil", People: []string{"tech"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inc.AddAction(ctx, teacher, pupilInc.ID, "Spoke to the pupil"); err != nil {
			t.Fatal(err)
		}
		st.Close()

		// The slt reads both in full.
		code, out, errs := sg("incidents", "list", "--as", "head", "--json")
		if code != 0 {
			t.Fatalf("list as head: %d %s", code, errs)
		}
		var rows []incidentJSON
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r incidentJSON
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			rows = append(rows, r)
		}
		if len(rows) != 2 || rows[0].Restricted || rows[1].Restricted || !strings.Contains(out, "Messages to a pupil") {
			t.Errorf("head's list: %s", out)
		}
		// The teacher sees the staff incident only as one they reported.
		code, out, errs = sg("incidents", "list", "--as", "mr.teach")
		if code != 0 || !strings.Contains(out, "Adult site in ICT") || strings.Contains(out, "Messages to a pupil") || !strings.Contains(out, "you reported it") {
			t.Errorf("teacher's list: %d %s %s", code, out, errs)
		}
		code, out, _ = sg("incidents", "show", fmt.Sprint(staffInc.ID), "--as", "mr.teach")
		if code != 0 || strings.Contains(out, "Messages") || strings.Contains(out, "tech") {
			t.Errorf("teacher shows the staff incident: %d %s", code, out)
		}
		// Technical reported neither.
		if code, out, _ := sg("incidents", "list", "--as", "tech"); code != 0 || strings.Contains(out, "Adult") || strings.Contains(out, "Messages") {
			t.Errorf("technical's list: %d %s", code, out)
		}
		if code, _, errs := sg("incidents", "show", fmt.Sprint(pupilInc.ID), "--as", "tech"); code != 2 || !strings.Contains(errs, "esafety-lead") {
			t.Errorf("technical shows: %d %s", code, errs)
		}
		// Show with history, as JSON.
		code, out, errs = sg("incidents", "show", fmt.Sprint(pupilInc.ID), "--as", "head", "--json")
		var one incidentJSON
		if code != 0 || json.Unmarshal([]byte(out), &one) != nil || one.People[0] != "pupil7" || len(one.Entries) != 1 || one.Entries[0].Text != "Spoke to the pupil" {
			t.Errorf("show --json: %d %s %s", code, out, errs)
		}
		// A pupil, nobody, no --as, an unknown number.
		for _, args := range [][]string{
			{"incidents", "list", "--as", "pupil7"},
			{"incidents", "list"},
			{"incidents", "show", "99999", "--as", "head"},
			{"incidents", "show", "x", "--as", "head"},
			{"incidents"},
		} {
			if code, out, _ := sg(args...); code != 2 || strings.Contains(out, "Adult") {
				t.Errorf("%v: %d %s", args, code, out)
			}
		}
	})
}
