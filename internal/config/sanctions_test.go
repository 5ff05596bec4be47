package config

import (
	"errors"
	"slices"
	"testing"

	"schoolgate/internal/starter"
)

// TestSanctionsValidation: the tables' actions are checked strictly, the
// error naming the file, the line and the field; without the section
// (or one of its tables) the seeds' built-in table applies.
func TestSanctionsValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"sanctions:\n  pupils:\n    pornography: [warning, detention]\n",
			`p.yaml: invalid policy: sanctions.pupils.pornography (line 3): "detention" is not an action of the pupils table (one of refer_class_teacher, refer_head_of_year, refer_headteacher, refer_police, refer_technical, inform_parents, removal_of_access, warning, further_sanction)`},
		{"sanctions:\n  staff:\n    pornography: [refer_line_manager]\n    copyright: [inform_parents]\n",
			`p.yaml: invalid policy: sanctions.staff.copyright (line 4): "inform_parents" is not an action of the staff table (one of refer_line_manager, refer_headteacher, refer_local_authority, refer_police, refer_technical, warning, suspension, disciplinary)`},
		{"sanctions:\n  pupils:\n    pornography: [warning, warning]\n",
			`p.yaml: invalid policy: sanctions.pupils.pornography (line 3): "warning" is given twice`},
		{"sanctions:\n  pupils:\n    pornography: {warning: yes}\n", "p.yaml:3: sanctions.pupils.pornography: "},
		{"sanctions:\n  parents: {}\n", "p.yaml:2: sanctions.parents: "},
	} {
		_, err := Parse("p.yaml", "/tmp/p.yaml", []byte(tc.yaml))
		if err == nil || !errors.Is(err, ErrInvalid) || len(err.Error()) < len(tc.want) || err.Error()[:len(tc.want)] != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}

	c, err := Parse("p.yaml", "/tmp/p.yaml", []byte("sanctions:\n  pupils:\n    pornography: [warning]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if row, _ := c.Sanctions.PupilTable().Get("pornography"); !slices.Equal(row, []string{"warning"}) {
		t.Errorf("the policy's pupil row: %v", row)
	}
	// No staff table in the policy: the seeds' one.
	if row, _ := c.Sanctions.StaffTable().Get("continued-infringements"); !slices.Equal(row, []string{"refer_line_manager", "refer_headteacher", "refer_local_authority", "refer_police", "warning", "suspension", "disciplinary"}) {
		t.Errorf("built-in staff row: %v", row)
	}
	// The built-in tables are valid tables.
	b := BuiltinSanctions()
	if err := b.validate(); err != nil || len(b.Pupils) != 17 || len(b.Staff) != 17 {
		t.Errorf("built-in: %d pupil rows, %d staff rows, %v", len(b.Pupils), len(b.Staff), err)
	}
}

// TestStarterSanctions: the starter policy writes out the seeds' tables,
// exactly the built-in ones.
func TestStarterSanctions(t *testing.T) {
	c, err := Parse("policy.yaml", "/tmp/policy.yaml", starter.Policy)
	if err != nil {
		t.Fatal(err)
	}
	b := BuiltinSanctions()
	for _, tc := range []struct {
		name      string
		got, want Ordered[[]string]
	}{{"pupils", c.Sanctions.Pupils, b.Pupils}, {"staff", c.Sanctions.Staff, b.Staff}} {
		if !slices.Equal(tc.got.Names(), tc.want.Names()) {
			t.Errorf("%s rows: %v, built in %v", tc.name, tc.got.Names(), tc.want.Names())
		}
		for _, e := range tc.want {
			if row, _ := tc.got.Get(e.Name); !slices.Equal(row, e.Value) {
				t.Errorf("%s.%s: starter %v, built in %v", tc.name, e.Name, row, e.Value)
			}
		}
	}
}
