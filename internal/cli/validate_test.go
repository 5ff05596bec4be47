package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestValidateLockedException: an exception that would open a locked
// category is refused (exit 2) naming the file, the line and the field;
// one that blocks, or opens a group the row already allows, is not.
func TestValidateLockedException(t *testing.T) {
	lists := map[string]string{"lists/adult.txt": "pornhub.com\n", "lists/social.txt": "facebook.com\n"}
	good := lockedPolicy + `exceptions:
  - {hosts: [www.pornhub.com], verdict: block}
  - {hosts: [facebook.com], verdict: allow, groups: [pupils-ks2]}
`
	if code, out, errs := run(t, "", "validate", "-c", writePolicy(t, good, lists), "--data", t.TempDir()); code != 0 || !strings.Contains(out, ": OK: ") {
		t.Fatalf("good policy: %d %s %s", code, out, errs)
	}
	bad := good + "  - {hosts: [videos.pornhub.com], verdict: allow, groups: [staff], reason: research}\n"
	line := strings.Count(bad, "\n")
	p := writePolicy(t, bad, lists)
	code, out, errs := run(t, "", "validate", "-c", p, "--data", t.TempDir())
	want := p + ":" + strconv.Itoa(line) + ": exceptions[2].hosts[0]: videos.pornhub.com is in locked category adult, where staff get \"block\" (rules.adult.others)"
	if code != 2 || !strings.Contains(errs, want) || strings.Contains(out, ": OK: ") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s\nwant stderr to hold %s", code, out, errs, want)
	}
	// check still loads it, and the engine does not apply it.
	_, out, _ = run(t, "", "check", "-c", p, "--data", t.TempDir(), "--group", "staff", "videos.pornhub.com")
	if rs := decodeLines(t, out); len(rs) != 1 || rs[0].Verdict != "block" || len(rs[0].NotApplied) != 1 || rs[0].NotApplied[0].Rule != "exceptions[2]" {
		t.Fatalf("check: %s", out)
	}
}

// TestValidateOverlaps: validate --overlaps on the real UT1 samples finds
// discord.com, which UT1 lists in both chat and social_networks, with the
// row that wins for each group; --limit caps the table and says how many
// more there are.
func TestValidateOverlaps(t *testing.T) {
	root := os.Getenv("SCHOOLGATE_SHARED")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared")
	}
	dir, _ := filepath.Abs(filepath.Join(root, "data", "lists"))
	if _, err := os.Stat(filepath.Join(dir, "ut1", "chat")); err != nil {
		t.Skipf("shared UT1 samples not found at %s: set SCHOOLGATE_SHARED", dir)
	}
	tmpl, err := os.ReadFile(filepath.Join("..", "policy", "testdata", "overlaps.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := writePolicy(t, strings.ReplaceAll(string(tmpl), "LISTS", dir), nil)
	data := t.TempDir()

	code, out, errs := run(t, "", "validate", "-c", p, "--data", data, "--overlaps", "--format", "json", "--limit", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep overlapsReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Total != rep.Shown || rep.Total != len(rep.Overlaps) || rep.Total < 8 {
		t.Fatalf("total %d, shown %d, %d listed", rep.Total, rep.Shown, len(rep.Overlaps))
	}
	wins := map[string]string{}
	for _, o := range rep.Overlaps {
		if o.Entry != "discord.com" {
			continue
		}
		if strings.Join(o.Categories, ",") != "messaging,social-media" {
			t.Errorf("discord.com categories %v", o.Categories)
		}
		for _, g := range o.Groups {
			wins[g.Group] = g.Wins
		}
	}
	if len(wins) != 2 || wins["staff"] != "rules.social-media.staff" || wins["pupils-ks2"] != "rules.messaging.others" {
		t.Errorf("discord.com: wins %v", wins)
	}

	code, out, _ = run(t, "", "validate", "-c", p, "--data", data, "--overlaps", "--limit", "3")
	first := strconv.Itoa(rep.Total) + " entries are in several categories"
	more := "... and " + strconv.Itoa(rep.Total-3) + " more (--limit 3"
	if code != 0 || !strings.HasPrefix(out, first) || !strings.Contains(out, more) || !strings.Contains(out, rep.Overlaps[0].Entry+" ") {
		t.Errorf("table: %d\n%s\nwant it to start %q and hold %q", code, out, first, more)
	}
	if code, _, errs := run(t, "", "validate", "-c", p, "--data", data, "--overlaps", "--format", "yaml"); code != 2 || !strings.Contains(errs, "--format") {
		t.Errorf("bad --format: %d %s", code, errs)
	}
}

// TestValidateKeywords: validate reads the keyword lists as serve would
// and refuses (exit 2) a list with a bad line, naming its file and line.
func TestValidateKeywords(t *testing.T) {
	policy := lockedPolicy + "keywords:\n  self-harm: {sources: [{path: keywords/self-harm.txt}]}\n"
	lists := map[string]string{"lists/adult.txt": "pornhub.com\n", "lists/social.txt": "facebook.com\n",
		"keywords/self-harm.txt": "self harm\n-self harm awareness\n"}
	code, out, errs := run(t, "", "validate", "-c", writePolicy(t, policy, lists), "--data", t.TempDir())
	if code != 0 || !strings.Contains(out, "keywords: 1 lists, 2 phrases and exclusions\n") {
		t.Fatalf("good lists: %d %s %s", code, out, errs)
	}
	lists["keywords/self-harm.txt"] += "...\n"
	p := writePolicy(t, policy, lists)
	code, out, errs = run(t, "", "validate", "-c", p, "--data", t.TempDir())
	want := filepath.Join(filepath.Dir(p), "keywords/self-harm.txt") + `:3: "..." has no words to match`
	if code != 2 || !strings.Contains(errs, want) || strings.Contains(out, ": OK: ") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s\nwant stderr to hold %s", code, out, errs, want)
	}
}
