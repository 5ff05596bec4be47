package safeguarding

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/identity"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

func (f *fixture) sanctions() *Sanctions {
	cfg := f.snap.Config()
	return NewSanctions(SanctionsOptions{Store: f.st, Config: func() *config.Config { return cfg }, Now: func() time.Time { return f.now }})
}

// decideFor is what the running engine would answer user (on a pupils'
// network) for host with the stored live overrides.
func (f *fixture) decideFor(t *testing.T, user, host string) policy.Decision {
	t.Helper()
	list, err := f.st.ActiveOverrides(context.Background(), store.AllSites, f.now)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr("10.20.0.5")
	return f.snap.Decide(&policy.Query{Host: host, User: user, Client: addr, Groups: f.snap.GroupsForIP(addr), At: f.now, Overrides: policy.NewOverrides(list)})
}

// TestSanctions walks sanctions on both databases: who may record them,
// the tables' suggestions, whom they may be for, removal of access as a
// suspension the engine applies at once (and ends on revoke), the
// technical staff's task, parents informed, the chronology, the counts.
func TestSanctions(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		for _, u := range []identity.User{
			{Username: "e.lead", Roles: []identity.Role{identity.RoleESafetyLead}},
			{Username: "gov", Roles: []identity.Role{identity.RoleGovernor}},
		} {
			if err := f.st.CreateUser(ctx, store.Actor{Name: "office"}, u, ""); err != nil {
				t.Fatal(err)
			}
		}
		inc, sn := f.incidents(), f.sanctions()
		teacher, dsl, tech, lead, gov := f.actor(t, "mr.teach"), f.actor(t, "ms.dsl"), f.actor(t, "tech"), f.actor(t, "e.lead"), f.actor(t, "gov")
		at := f.now.Add(-time.Hour)
		one, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "pornography", Summary: "Adult sites in ICT", People: []string{"jsmith"}})
		if err != nil {
			t.Fatal(err)
		}
		two, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "subverting-filtering", Summary: "A proxy site", People: []string{"jsmith", "amy"}, Outsiders: []string{"a friend"}})
		if err != nil {
			t.Fatal(err)
		}
		staffInc, err := inc.Record(ctx, teacher, NewIncident{OccurredAt: at, Category: "pornography", Summary: "Staff laptop", People: []string{"tech"}})
		if err != nil {
			t.Fatal(err)
		}

		// The pupils' table's suggestions for pornography, from the seeds.
		_, sug, err := sn.Incident(ctx, lead, one.ID)
		if err != nil {
			t.Fatal(err)
		}
		var suggested []string
		for _, c := range sug.Pupils {
			if c.Suggested {
				suggested = append(suggested, c.Name)
			}
		}
		if got := strings.Join(suggested, " "); got != "refer_class_teacher refer_head_of_year refer_headteacher refer_technical inform_parents removal_of_access" || sug.Staff != nil {
			t.Fatalf("suggestions: %s; staff %v", got, sug.Staff)
		}
		if _, sug, err := sn.Incident(ctx, dsl, staffInc.ID); err != nil || sug.Pupils != nil || len(sug.Staff) != 8 {
			t.Fatalf("staff incident suggestions: %+v %v", sug, err)
		}

		removal := NewSanction{Action: config.ActionRemovalOfAccess, For: 7 * 24 * time.Hour}
		// Teacher, technical, governor: no. The esafety lead does not
		// sanction staff.
		for _, a := range []Actor{teacher, tech, gov} {
			if _, err := sn.Record(ctx, a, one.ID, removal); !errors.Is(err, ErrForbidden) {
				t.Errorf("%s sanctions: %v", a.Username, err)
			}
		}
		if _, err := sn.Record(ctx, lead, staffInc.ID, NewSanction{Action: config.ActionWarning}); !errors.Is(err, ErrForbidden) {
			t.Errorf("esafety lead sanctions staff: %v", err)
		}
		// Another site's incident does not exist for this actor.
		elsewhere := dsl
		elsewhere.Site = "other-school"
		if _, err := sn.Record(ctx, elsewhere, one.ID, removal); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another site: %v", err)
		}
		// Bad input names the field.
		for _, bad := range []struct {
			id    int64
			n     NewSanction
			field string
			want  error
		}{
			{two.ID, removal, "people", ErrInvalid},
			{two.ID, NewSanction{Action: config.ActionRemovalOfAccess, For: time.Hour, People: []string{"mr.teach"}}, "people", ErrInvalid},
			{one.ID, NewSanction{Action: "detention"}, "action", ErrInvalid},
			{one.ID, NewSanction{Action: config.ActionDisciplinary}, "action", ErrInvalid},
			{one.ID, NewSanction{Action: config.ActionRemovalOfAccess}, "for", ErrInvalid},
			{one.ID, NewSanction{Action: config.ActionRemovalOfAccess, For: 400 * 24 * time.Hour}, "for", ErrInvalid},
			{one.ID, NewSanction{Action: config.ActionRemovalOfAccess, For: time.Hour, Scope: "category:nope"}, "scope", ErrInvalid},
			{one.ID, NewSanction{Action: config.ActionRemovalOfAccess, For: time.Hour, Scope: "except:education"}, "scope", ErrNotApplicable},
			{one.ID, NewSanction{Action: config.ActionWarning, For: time.Hour}, "for", ErrInvalid},
			{one.ID, NewSanction{Action: config.ActionInformParents}, "informed", ErrInvalid},
			{one.ID, NewSanction{Action: config.ActionInformParents, Informed: &Informed{Who: "mother", How: "phone"}}, "informed", ErrInvalid},
		} {
			if _, err := sn.Record(ctx, dsl, bad.id, bad.n); !errors.Is(err, bad.want) || !strings.Contains(err.Error(), bad.field+":") {
				t.Errorf("%+v: %v, want %v naming %s", bad.n, err, bad.want, bad.field)
			}
		}
		if list, _ := f.st.ActiveOverrides(ctx, store.AllSites, f.now); len(list) != 0 {
			t.Fatalf("refused sanctions left overrides: %+v", list)
		}

		// Removal of access: a suspension of jsmith alone, at once.
		if d := f.decideFor(t, "jsmith", "ok.example"); d.Verdict != policy.Allow {
			t.Fatalf("before: %v", d.Verdict)
		}
		got, err := sn.Record(ctx, lead, one.ID, removal)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Username != "jsmith" || got[0].OverrideID == 0 || got[0].Site != "school" || got[0].By != "e.lead" {
			t.Fatalf("sanction: %+v", got)
		}
		d := f.decideFor(t, "jsmith", "ok.example")
		if d.Verdict != policy.Block || d.Source != policy.SourceOverride || d.Override.Kind != store.KindSuspension ||
			!d.Override.Until.Equal(f.now.Add(7*24*time.Hour).Truncate(time.Microsecond)) || strings.Contains(d.Override.Reason, "Adult") {
			t.Fatalf("jsmith after the sanction: %+v %+v", d, d.Override)
		}
		if d := f.decideFor(t, "amy", "ok.example"); d.Verdict != policy.Allow {
			t.Errorf("amy is suspended too: %v", d.Verdict)
		}
		// One category only, for one of two people.
		cat, err := sn.Record(ctx, dsl, two.ID, NewSanction{Action: config.ActionRemovalOfAccess, For: time.Hour, Scope: "category:social-media", People: []string{"AMY"}})
		if err != nil || len(cat) != 1 || cat[0].Username != "amy" {
			t.Fatalf("category sanction: %+v %v", cat, err)
		}
		if d := f.decideFor(t, "amy", "ok.example"); d.Verdict != policy.Allow {
			t.Errorf("amy, another category: %v", d.Verdict)
		}
		if d := f.decideFor(t, "amy", "social.example"); d.Source != policy.SourceOverride || d.Verdict != policy.Block {
			t.Errorf("amy, the category: %+v", d)
		}
		// A warning for both; parents informed; the technical staff's task.
		if both, err := sn.Record(ctx, dsl, two.ID, NewSanction{Action: config.ActionWarning, People: []string{"jsmith", "amy"}, Note: "spoken to"}); err != nil || len(both) != 2 || both[0].OverrideID != 0 {
			t.Fatalf("warnings: %+v %v", both, err)
		}
		told := f.now.Add(-10 * time.Minute)
		if _, err := sn.Record(ctx, dsl, one.ID, NewSanction{Action: config.ActionInformParents, Informed: &Informed{Who: "his mother", How: "telephone", When: told}}); err != nil {
			t.Fatal(err)
		}
		if _, err := sn.Record(ctx, dsl, two.ID, NewSanction{Action: config.ActionReferTechnical, People: []string{"jsmith"}, Note: "block the proxy site"}); err != nil {
			t.Fatal(err)
		}
		if _, err := sn.Tasks(ctx, teacher, false); !errors.Is(err, ErrForbidden) {
			t.Errorf("teacher reads the tasks: %v", err)
		}
		tasks, err := sn.Tasks(ctx, tech, false)
		if err != nil || len(tasks) != 1 || tasks[0].IncidentID != two.ID || tasks[0].Username != "jsmith" || !strings.Contains(tasks[0].Details, "block the proxy site") {
			t.Fatalf("tasks: %+v %v", tasks, err)
		}
		if err := sn.CompleteTask(ctx, tech, tasks[0].ID, " "); !errors.Is(err, ErrInvalid) {
			t.Errorf("done without notes: %v", err)
		}
		if err := sn.CompleteTask(ctx, tech, tasks[0].ID, "added proxy.example to the block exceptions"); err != nil {
			t.Fatal(err)
		}
		if open, _ := sn.Tasks(ctx, tech, false); len(open) != 0 {
			t.Errorf("open tasks after done: %+v", open)
		}
		if all, _ := sn.Tasks(ctx, tech, true); len(all) != 1 || all[0].DoneBy != "tech" || all[0].Notes == "" || all[0].DoneAt.IsZero() {
			t.Errorf("done task: %+v", all)
		}

		// The list, with the view audited.
		list, err := sn.List(ctx, dsl, one.ID)
		if err != nil || len(list) != 2 || !list[0].Active || list[0].Scope != ScopeAll || list[1].Informed == nil || list[1].Informed.Who != "his mother" {
			t.Fatalf("list: %+v %v", list, err)
		}
		// The chronology's sanctions: not for the technical staff.
		if _, err := sn.Of(ctx, tech, "jsmith"); !errors.Is(err, ErrForbidden) {
			t.Errorf("technical reads sanctions: %v", err)
		}
		if of, err := sn.Of(ctx, lead, "jsmith"); err != nil || len(of) != 4 {
			t.Errorf("jsmith's sanctions: %d %v", len(of), err)
		}

		// Revoking ends the suspension now; once only; needs a reason.
		if _, err := sn.Revoke(ctx, dsl, got[0].ID, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("revoke without a reason: %v", err)
		}
		if _, err := sn.Revoke(ctx, teacher, got[0].ID, "appeal"); !errors.Is(err, ErrForbidden) {
			t.Errorf("teacher revokes: %v", err)
		}
		if _, err := sn.Revoke(ctx, dsl, got[0].ID, "appeal upheld"); err != nil {
			t.Fatal(err)
		}
		if d := f.decideFor(t, "jsmith", "ok.example"); d.Verdict != policy.Allow {
			t.Errorf("jsmith after revoke: %v", d.Verdict)
		}
		if _, err := sn.Revoke(ctx, dsl, got[0].ID, "again"); !errors.Is(err, ErrInvalid) {
			t.Errorf("revoke twice: %v", err)
		}
		if list, _ := sn.List(ctx, dsl, one.ID); list[0].Active || list[0].RevokedBy != "ms.dsl" || list[0].RevokeReason != "appeal upheld" {
			t.Errorf("revoked: %+v", list[0])
		}

		// Every write and view is in the audit trail.
		for action, want := range map[string]int{"sanction.record": 6, "sanction.revoke": 1, "override.revoke": 1, "sanction-task.done": 1, "sanctions.view": 2} {
			recs, err := f.st.ListAudit(ctx, store.AuditFilter{Action: action})
			if err != nil || len(recs) != want {
				t.Errorf("audit %s: %d records, want %d (%v)", action, len(recs), want, err)
			}
		}
		// The governors' report's counts by kind.
		counts, err := f.st.SanctionCounts(ctx, "school", f.now.Add(-time.Hour), f.now.Add(time.Hour))
		if err != nil || counts[config.ActionRemovalOfAccess] != 2 || counts[config.ActionWarning] != 2 || counts[config.ActionInformParents] != 1 || counts[config.ActionReferTechnical] != 1 || len(counts) != 4 {
			t.Errorf("counts: %v %v", counts, err)
		}
		if counts, _ := f.st.SanctionCounts(ctx, "other-school", time.Time{}, time.Time{}); len(counts) != 0 {
			t.Errorf("another site's counts: %v", counts)
		}

		// The suggestions follow a corrected category.
		if _, err := inc.Correct(ctx, dsl, one.ID, "category", "copyright", "it was a film download"); err != nil {
			t.Fatal(err)
		}
		if _, sug, err := sn.Incident(ctx, lead, one.ID); err != nil || sug.Category.Name != "copyright" || !sug.Pupils[0].Suggested || sug.Pupils[1].Suggested {
			t.Errorf("after the correction: %+v %v", sug, err)
		}
		// A suspension ended on the grants page is no longer in force.
		if err := f.svc.RevokeOverride(ctx, dsl, cat[0].OverrideID, "ended early"); err != nil {
			t.Fatal(err)
		}
		if list, err := sn.List(ctx, dsl, two.ID); err != nil || list[0].Active || list[0].OverrideID != cat[0].OverrideID {
			t.Errorf("after the override's revoke: %+v %v", list, err)
		}
	})
}

// TestBuiltinSanctionsCategories: every row of the built-in tables is a
// built-in incident category, and a policy's table naming an unknown one
// is refused with its file, line and field.
func TestBuiltinSanctionsCategories(t *testing.T) {
	c := &config.Config{File: "policy.yaml", Sanctions: config.BuiltinSanctions()}
	if err := CheckSanctions(c); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("policy.yaml", "/tmp/policy.yaml", []byte("sanctions:\n  pupils:\n    pornography: [warning]\n    homework-late: [warning]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.File = "policy.yaml"
	if err := CheckSanctions(c); !errors.Is(err, config.ErrInvalid) || err.Error() != "policy.yaml:4: sanctions.pupils.homework-late: not an incident category (the built-in ones, or add it under incidents.categories)" {
		t.Errorf("unknown category: %v", err)
	}
	c, err = config.Parse("policy.yaml", "/tmp/policy.yaml", []byte("incidents:\n  categories:\n    homework-late: {title: Late homework}\nsanctions:\n  pupils:\n    homework-late: [warning]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSanctions(c); err != nil {
		t.Errorf("a category the policy adds: %v", err)
	}
}
