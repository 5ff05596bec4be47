package policytable

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

var update = flag.Bool("update", false, "rewrite the golden file")

func compile(t *testing.T, path string) *policy.Snapshot {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Compile(cfg, policy.Options{DataDir: filepath.Dir(path)})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestGolden renders a policy like the seeds' and compares the whole
// table with testdata/seeds.golden.
func TestGolden(t *testing.T) {
	got := Table(compile(t, "testdata/seeds.yaml")).Text()
	golden := "testdata/seeds.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("table differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

// TestCells checks the grid's shape, the fall to the default row the
// engine makes, and the locked marks.
func TestCells(t *testing.T) {
	snap := compile(t, "testdata/seeds.yaml")
	g := Table(snap)
	if len(g.Groups) != 3 || len(g.Rows) != len(snap.Categories())+1 || !g.Rows[len(g.Rows)-1].Default {
		t.Fatalf("shape: %d groups, %d rows", len(g.Groups), len(g.Rows))
	}
	for _, r := range g.Rows {
		if len(r.Cells) != len(g.Groups) {
			t.Fatalf("%s: %d cells", r.Category, len(r.Cells))
		}
	}
	want := map[[2]string]Kind{
		{"child-abuse", "staff"}: KindIllegal, {"adult", "staff"}: KindBlock,
		{"gambling", "staff"}: KindWarn, {"gambling", "pupils"}: KindBlock,
		{"shopping", "pupils"}:     KindWarn, // no cell and no others: the default row
		{"social-media", "pupils"}: KindPermission, {"social-media", "sixth-form"}: KindTimes,
		{"filesharing", "staff"}: KindAllow, {"default", "pupils"}: KindWarn,
	}
	for _, r := range g.Rows {
		for i, c := range r.Cells {
			if k, ok := want[[2]string{r.Category, g.Groups[i]}]; ok && c.Kind != k {
				t.Errorf("%s × %s: %s (%q), want %s", r.Category, g.Groups[i], c.Kind, c.Text, k)
			}
		}
	}
	if !g.Rows[0].Locked || !g.Rows[1].Locked || g.Rows[2].Locked {
		t.Errorf("locked: %v %v %v", g.Rows[0].Locked, g.Rows[1].Locked, g.Rows[2].Locked)
	}
}

func TestWhen(t *testing.T) {
	for _, c := range []struct {
		ws   []config.Window
		want string
	}{
		{[]config.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "10:30", To: "10:45"}, {Days: []string{"fri", "thu", "wed", "tue", "mon"}, From: "12:15", To: "13:15"}}, "Mon–Fri 10:30–10:45, 12:15–13:15"},
		{[]config.Window{{Days: []string{"Monday", "wed"}, From: "08:00", To: "09:00"}}, "Mon, Wed 08:00–09:00"},
		{[]config.Window{{Days: []string{"sat", "sun"}, From: "09:00", To: "17:00"}, {Days: []string{"mon"}, From: "07:00", To: "08:00"}}, "Sat, Sun 09:00–17:00; Mon 07:00–08:00"},
	} {
		if got := When(c.ws); got != c.want {
			t.Errorf("When(%v) = %q, want %q", c.ws, got, c.want)
		}
	}
}
