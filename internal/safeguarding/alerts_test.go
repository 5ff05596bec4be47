package safeguarding

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"schoolgate/internal/identity"
	"schoolgate/internal/store"
)

// TestAlertsWhoSeesWhat: issue 12's matrix on the real store. A pupil's
// alert is read by dsl and esafety-lead; a teacher's by dsl and slt; a
// circumvention alert by technical too; teachers, staff and governors
// read none (refused, not an empty list); another site's alerts are
// nobody's here. Every view of a named alert is audited.
func TestAlertsWhoSeesWhat(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		now := time.Now()
		raise := func(site, rule, user string, staff, circ bool) int64 {
			id, _, err := f.st.RaiseAlert(ctx, store.AlertHit{Site: site, Rule: rule, Title: rule, Severity: 3, Subject: user, User: user,
				AboutStaff: staff, Circumvention: circ, First: now, Last: now, Count: 1, Fold: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		pupil := raise("school", "gambling", "jsmith", false, false)
		staff := raise("school", "gambling", "mr.teach", true, false)
		vpn := raise("school", "bypass", "amy", false, true)
		raise("school-b", "gambling", "amy", false, false)
		al := NewAlerts(f.st)
		for _, tc := range []struct {
			roles []identity.Role
			want  []int64
		}{
			{[]identity.Role{identity.RoleDSL}, []int64{pupil, staff, vpn}},
			{[]identity.Role{identity.RoleESafetyLead}, []int64{pupil, vpn}},
			{[]identity.Role{identity.RoleSLT}, []int64{staff}},
			{[]identity.Role{identity.RoleTechnical}, []int64{vpn}},
			{[]identity.Role{identity.RoleTeacher}, nil},
			{[]identity.Role{identity.RoleStaff}, nil},
			{[]identity.Role{identity.RoleGovernor}, nil},
		} {
			a := Actor{Username: "someone", Roles: tc.roles, Site: "school"}
			list, err := al.List(ctx, a, store.AlertFilter{})
			if tc.want == nil {
				if !errors.Is(err, ErrForbidden) {
					t.Errorf("%v: list %v, %v: want refused", tc.roles, list, err)
				}
				if _, err := al.Count(ctx, a, ""); !errors.Is(err, ErrForbidden) {
					t.Errorf("%v: count not refused: %v", tc.roles, err)
				}
				if _, err := al.Get(ctx, a, pupil); !errors.Is(err, ErrForbidden) {
					t.Errorf("%v: get not refused: %v", tc.roles, err)
				}
				if err := al.Ack(ctx, a, pupil); !errors.Is(err, ErrForbidden) {
					t.Errorf("%v: ack not refused: %v", tc.roles, err)
				}
				continue
			}
			var got []int64
			for _, x := range list {
				got = append(got, x.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) || err != nil {
				t.Errorf("%v: sees %v, %v; want %v", tc.roles, got, err, tc.want)
			}
			if n, err := al.Count(ctx, a, store.AlertNew); err != nil || n != int64(len(tc.want)) {
				t.Errorf("%v: count %d %v", tc.roles, n, err)
			}
			for _, id := range []int64{pupil, staff, vpn} {
				_, err := al.Get(ctx, a, id)
				if slices.Contains(tc.want, id) != (err == nil) {
					t.Errorf("%v: get %d: %v", tc.roles, id, err)
				}
			}
		}
		dsl := Actor{Username: "ms.dsl", Roles: []identity.Role{identity.RoleDSL}, Site: "school"}
		if err := al.Ack(ctx, dsl, pupil); err != nil {
			t.Fatal(err)
		}
		if err := al.Close(ctx, dsl, pupil, store.OutcomeTrueConcern, "spoke to the family"); err != nil {
			t.Fatal(err)
		}
		rec, err := al.Get(ctx, dsl, pupil)
		if err != nil || rec.Alert.Status != store.AlertClosed || len(rec.Notes) != 1 {
			t.Fatalf("closed record %+v %v", rec, err)
		}
		views, err := f.st.ListAudit(ctx, store.AuditFilter{Action: "alert.view"})
		if err != nil || len(views) == 0 {
			t.Fatalf("views not audited: %v %v", views, err)
		}
		if !slices.ContainsFunc(views, func(r store.AuditRecord) bool { return r.Object == "user:jsmith" && r.Actor == "ms.dsl" }) {
			t.Errorf("the dsl's view of jsmith's alert is not in the audit trail: %+v", views)
		}
	})
}
