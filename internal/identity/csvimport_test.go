package identity

import (
	"strings"
	"testing"
)

func TestParseUsersCSV(t *testing.T) {
	in := "\ufeffEmail,username,role,year_group,groups,display_name,upn\r\n" +
		"amy@school.example,Amy.B,pupil,5,robotics; chess,Amy B,x\r\n" +
		"\r\n" +
		",bob,staff,,,Bob C,\r\n" +
		",bad name,pupil,3,,Bad,\r\n" +
		",amy.b,pupil,5,,Dup,\r\n" +
		",cat,pupil,r,nosuchgroup,Cat,\r\n" +
		",eve,wizard,,,Eve,\r\n" +
		",\"dan,pupil,1,,Dan\r\n"
	known := func(g string) bool { return g == "robotics" || g == "chess" }
	f, err := ParseUsersCSV(strings.NewReader(in), known)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 3 {
		t.Fatalf("rows = %+v", f.Rows)
	}
	amy := f.Rows[0].User
	if amy.Username != "amy.b" || amy.YearGroup != "5" || JoinRoles(amy.Roles) != "pupil" || amy.Email != "amy@school.example" ||
		strings.Join(amy.Groups, ";") != "robotics;chess" || f.Rows[0].Line != 2 {
		t.Fatalf("amy = %+v line %d", amy, f.Rows[0].Line)
	}
	if f.Rows[1].User.Username != "bob" || f.Rows[1].Line != 4 {
		t.Fatalf("bob = %+v", f.Rows[1])
	}
	// cat's unknown group keeps her row: it is a directory group.
	if cat := f.Rows[2]; cat.User.Username != "cat" || cat.Line != 7 || strings.Join(cat.User.Groups, ";") != "nosuchgroup" {
		t.Fatalf("cat = %+v", cat)
	}
	if len(f.UnknownGroups) != 1 || f.UnknownGroups[0] != (UnknownGroup{Name: "nosuchgroup", FirstLine: 7, Rows: 1}) {
		t.Fatalf("unknown groups = %+v", f.UnknownGroups)
	}
	wantLines := []int{5, 6, 8, 9}
	if len(f.Errors) != len(wantLines) {
		t.Fatalf("errors = %v", f.Errors)
	}
	for i, l := range wantLines {
		if f.Errors[i].Line != l {
			t.Errorf("error %d on line %d, want %d: %v", i, f.Errors[i].Line, l, f.Errors[i])
		}
	}
	if !strings.Contains(f.Errors[2].Error(), `unknown role "wizard"`) || !strings.Contains(f.Errors[1].Error(), "line 2") {
		t.Errorf("messages: %v", f.Errors)
	}
	if len(f.Ignored) != 1 || f.Ignored[0] != "upn" {
		t.Errorf("ignored = %v", f.Ignored)
	}
}

func TestParseUsersCSVHeader(t *testing.T) {
	for _, in := range []string{"", "display_name,role\nx,y\n", "username,username\n"} {
		if _, err := ParseUsersCSV(strings.NewReader(in), nil); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func FuzzParseUsersCSV(f *testing.F) {
	f.Add("username,display_name,role,year_group,groups,email\namy,Amy,pupil,5,a;b,amy@x.example\n")
	f.Add("groups,username\n\"a;b\",bob\n\"unterminated\n")
	f.Add("username\n\n\nx\r\ny,z\n")
	f.Add("\ufeffUSERNAME,Role\nA,STAFF\n")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := ParseUsersCSV(strings.NewReader(in), func(g string) bool { return g != "bad" })
		if err != nil {
			return
		}
		for _, r := range file.Rows {
			if r.User.Username == "" || r.Line < 2 {
				t.Fatalf("bad row kept: %+v", r)
			}
			for _, g := range r.User.Groups {
				if g == "" || strings.Contains(g, ",") {
					t.Fatalf("bad group kept: %q", g)
				}
			}
		}
		for _, e := range file.Errors {
			if e.Line < 1 {
				t.Fatalf("error without a line: %v", e)
			}
		}
	})
}

// TestDateOfBirthColumn: both formats MIS exports use; a bad date names
// its line and spoils only its row.
func TestDateOfBirthColumn(t *testing.T) {
	in := "username,date_of_birth\nann,2014-09-30\nbob,30/09/2013\ncat,31/02/2014\ndan,2099-01-01\neve,\n"
	f, err := ParseUsersCSV(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 3 || f.Rows[0].DateOfBirth != "2014-09-30" || f.Rows[1].DateOfBirth != "2013-09-30" || f.Rows[2].DateOfBirth != "" {
		t.Fatalf("rows %+v", f.Rows)
	}
	if len(f.Errors) != 2 || f.Errors[0].Line != 4 || !strings.Contains(f.Errors[0].Error(), "date_of_birth") || f.Errors[1].Line != 5 {
		t.Fatalf("errors %v", f.Errors)
	}
}
