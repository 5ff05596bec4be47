package listsync

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/keywords"
)

// TestUpdateKeywords: a keyword list's url: source is downloaded into the
// list cache, counted in phrases (a bad line skipped, not fatal), where
// keywords.Load finds it; a download with no phrases never replaces it.
func TestUpdateKeywords(t *testing.T) {
	o := newOrigin(t, "# drugs\ncocaine\nketamine\n-ketamine for horses\n!!!\n")
	text := `keywords:
  drugs: {sources: [{url: "` + o.URL + `/drugs.txt"}]}
default: allow
`
	c, err := config.Parse("policy.yaml", "/school/policy.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	u := &Updater{CacheDir: filepath.Join(data, "lists")}
	res, err := u.Update(context.Background(), c)
	if err != nil || len(res) != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	if r := res[0]; r.Category != "keywords.drugs" || r.Entries != 3 || !r.Changed {
		t.Errorf("%+v", r)
	}
	s, err := keywords.Load(c, data)
	if err == nil || !errors.Is(err, keywords.ErrBadLine) || s == nil {
		t.Fatalf("Load: %v", err)
	}
	if got := s.MatchLists("buy k3tamine"); !slices.Equal(got, []string{"drugs"}) {
		t.Errorf("MatchLists = %q", got)
	}
	o.set("# nothing left\n")
	res, err = u.Update(context.Background(), c)
	if err == nil || !errors.Is(res[0].Err, ErrEmpty) || !res[0].Kept || res[0].Entries != 3 {
		t.Errorf("empty download: %v %+v", err, res)
	}
}
