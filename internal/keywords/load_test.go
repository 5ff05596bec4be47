package keywords

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

func TestReadBadLines(t *testing.T) {
	text := "# a comment\n\nself harm\n-self harm awareness week\n!!!\nkill myself~\n-kill time~\n" +
		strings.Repeat("x", MaxLineBytes+1) + "\n\xff\xfe\none two three four five six seven eight nine\n  cut myself  \n"
	var l List
	err := Read(strings.NewReader(text), "lists/self-harm.txt", &l)
	if !errors.Is(err, ErrBadLine) {
		t.Fatalf("err = %v, want ErrBadLine", err)
	}
	for _, want := range []string{
		`lists/self-harm.txt:5: "!!!" has no words to match`,
		"lists/self-harm.txt:7: an exclusion cannot end in ~",
		"lists/self-harm.txt:8: longer than 512 bytes",
		"lists/self-harm.txt:9: not UTF-8 text",
		"lists/self-harm.txt:10: \"one two three four five six seven eight nine\" has more than 8 words",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if want := []string{"self harm", "kill myself~", "cut myself"}; !slices.Equal(l.Phrases, want) {
		t.Errorf("phrases %q, want %q", l.Phrases, want)
	}
	if want := []string{"self harm awareness week"}; !slices.Equal(l.Exclusions, want) {
		t.Errorf("exclusions %q, want %q", l.Exclusions, want)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func loadPolicy(t *testing.T, dir, text string) *config.Config {
	t.Helper()
	writeFile(t, filepath.Join(dir, "policy.yaml"), text)
	c, err := config.Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLoad: path: sources from the policy's folder, url: sources from the
// list cache; bad lines reported beside a working Set; a url: copy not
// downloaded yet is a warning; a missing path: file refuses the lists.
func TestLoad(t *testing.T) {
	dir, data := t.TempDir(), t.TempDir()
	const url = "https://lists.example/drugs.txt"
	writeFile(t, filepath.Join(dir, "keywords/self-harm.txt"), "# self-harm\nself harm\nsuicide\n-suicide squad\n")
	writeFile(t, filepath.Join(dir, "keywords/more.txt"), "cut myself\n???\n")
	writeFile(t, policy.CachePath(policy.CacheDir(&config.Config{}, data), url), "cocaine\nketamine\n")
	c := loadPolicy(t, dir, `keywords:
  self-harm: {sources: [{path: keywords/self-harm.txt}, {path: keywords/more.txt}]}
  drugs: {sources: [{url: "`+url+`"}]}
  extremism: {sources: [{url: "https://lists.example/not-yet.txt"}]}
`)
	s, err := Load(c, data)
	if s == nil {
		t.Fatalf("no Set: %v", err)
	}
	if !errors.Is(err, ErrBadLine) || !strings.Contains(err.Error(), "more.txt:2: \"???\" has no words to match") {
		t.Errorf("err = %v, want more.txt's line 2", err)
	}
	for text, want := range map[string][]string{
		"SELF-HARM and k3tamine": {"drugs", "self-harm"},
		"i want to cut myself":   {"self-harm"},
		"suicide squad cast":     nil,
		"suicide":                {"self-harm"},
	} {
		if got := s.MatchLists(text); !slices.Equal(got, want) {
			t.Errorf("MatchLists(%q) = %q, want %q", text, got, want)
		}
	}
	w := strings.Join(s.Warnings(), "\n")
	if !strings.Contains(w, "keywords.extremism.sources[0]: https://lists.example/not-yet.txt has not been downloaded yet") ||
		!strings.Contains(w, "keywords.extremism has no phrases") {
		t.Errorf("warnings:\n%s", w)
	}
	if got := s.Lists(); !slices.Equal(got, []string{"drugs", "extremism", "self-harm"}) {
		t.Errorf("Lists = %q", got)
	}

	c = loadPolicy(t, dir, "keywords:\n  bullying:\n    sources: [{path: keywords/missing.txt}]\n")
	s, err = Load(c, data)
	if s != nil || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "policy.yaml:3: keywords.bullying.sources[0]: open ") {
		t.Errorf("missing file: %v, %v", s, err)
	}
}
