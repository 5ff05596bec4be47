package policy

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestOverrideApplies: the check the domain layer makes when an override
// is created gives the engine's answer, in not_applied's words.
func TestOverrideApplies(t *testing.T) {
	s := loadGolden(t, "testdata/locked.policytest")
	nine := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	lunch := time.Date(2026, 11, 25, 10, 35, 0, 0, time.UTC)
	tests := []struct {
		name   string
		o      Override
		group  string
		at     time.Time
		ok     bool
		whySub string
	}{
		{"grant on permission", Override{Kind: "grant", Category: "social-media"}, "pupils-ks2", nine, true, ""},
		{"grant on block", Override{Kind: "grant", Category: "gambling"}, "pupils-ks2", nine, false, "the cell is block: rules.gambling.others"},
		{"grant on locked", Override{Kind: "grant", Category: "adult"}, "pupils-ks2", nine, false, "the category is locked: adult"},
		{"unblock on locked", Override{Kind: "unblock", Category: "adult"}, "staff", nine, false, "the category is locked: adult"},
		{"unblock on block", Override{Kind: "unblock", Category: "gambling"}, "pupils-ks2", nine, true, ""},
		{"grant out of window", Override{Kind: "grant", Category: "shopping"}, "staff", nine, false, "the cell is allow during social-time and it is outside that time: rules.shopping.staff"},
		{"grant in window", Override{Kind: "grant", Category: "shopping"}, "staff", lunch, true, ""},
		{"continue on permission", Override{Kind: "continue", Target: "facebook.com"}, "pupils-ks2", nine, false, "the cell is permission: rules.social-media.pupils-ks2"},
		{"continue on warn", Override{Kind: "continue", Target: "miniclip.com"}, "pupils-ks2", nine, true, ""},
		{"target in two categories", Override{Kind: "grant", Target: "discord.com"}, "pupils-ks2", nine, false, "the cell is block: rules.messaging.others"},
		{"target in no category", Override{Kind: "grant", Target: "example.net"}, "pupils-ks1", nine, false, "the cell is block: default.pupils-ks1"},
		{"target url", Override{Kind: "unblock", Target: "example.org/games/1"}, "pupils-ks1", nine, true, ""},
		{"target illegal", Override{Kind: "unblock", Target: "illegal.example"}, "staff", nine, false, "the category is illegal: illegal"},
		{"unknown kind is a grant", Override{Kind: "", Target: "bet365.com"}, "pupils-ks2", nine, false, "the cell is block"},
		{"suspension", Override{Kind: "suspension", Category: "adult", Verdict: Block}, "staff", nine, true, ""},
		{"every site", Override{Kind: "grant"}, "pupils-ks2", nine, true, ""},
		{"unknown category", Override{Kind: "grant", Category: "knitting"}, "staff", nine, false, "unknown category"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, why := s.OverrideApplies(&tc.o, s.GroupSet([]string{tc.group}), tc.at)
			if ok != tc.ok || (tc.whySub == "") != (why == "") || !strings.Contains(why, tc.whySub) {
				t.Errorf("OverrideApplies = %v, %q; want %v, %q", ok, why, tc.ok, tc.whySub)
			}
		})
	}
	if !s.Locked("adult") || !s.Locked("illegal") || s.Locked("gambling") || s.Locked("knitting") {
		t.Error("Locked: adult and illegal are locked, gambling and unknown names are not")
	}
}

// TestOverrideAppliesAgreesWithDecide: what OverrideApplies says of a
// target override is what Decide does with it, for every group, site and
// kind of the locked policy: refused with the same words, or applied (or
// beaten on a tie by an exception, as any override may be).
func TestOverrideAppliesAgreesWithDecide(t *testing.T) {
	s := loadGolden(t, "testdata/locked.policytest")
	sites := []string{"facebook.com", "bet365.com", "discord.com", "pornhub.com", "sexed.example", "miniclip.com", "amazon.co.uk", "example.net", "illegal.example", "casino.example"}
	for _, at := range []time.Time{time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 10, 35, 0, 0, time.UTC)} {
		for _, g := range s.Groups() {
			groups := s.GroupSet([]string{g})
			for _, site := range sites {
				for _, kind := range []string{"grant", "continue", "unblock", "other"} {
					o := Override{ID: 1, Kind: kind, Group: g, Target: site, Verdict: Allow, Until: at.Add(time.Hour)}
					ok, why := s.OverrideApplies(&o, groups, at)
					q := Query{Host: site, Groups: groups, At: at, Overrides: NewOverrides([]Override{o})}
					d := s.Decide(&q)
					decided := d.Source == SourceOverride
					na := s.NotApplied(&q, &d)
					var naWhy string
					for _, n := range na {
						if n.Rule == "override:1" {
							naWhy = n.Why
						}
					}
					switch {
					case !ok && (decided || naWhy != why):
						t.Errorf("%s %s %s at %s: OverrideApplies says %q; Decide used it %v, NotApplied %v", kind, g, site, at.Format("15:04"), why, decided, na)
					case ok && !decided && !strings.HasPrefix(naWhy, "a stricter or more specific rule decided"):
						t.Errorf("%s %s %s at %s: OverrideApplies says it applies; Decide chose %s, NotApplied %v", kind, g, site, at.Format("15:04"), s.Rule(&d), na)
					case ok && decided && naWhy != "":
						t.Errorf("%s %s %s: it decided, yet NotApplied %v", kind, g, site, na)
					}
				}
			}
		}
	}
}

// TestLockedExceptions: an exception that would open a locked category is
// found at compile time, named by file, line and field, and never applied.
func TestLockedExceptions(t *testing.T) {
	const file = "testdata/locked.policytest"
	s := loadGolden(t, file)
	errs := s.LockedExceptions()
	if len(errs) != 1 {
		t.Fatalf("LockedExceptions = %v, want the one for adult.example", errs)
	}
	data, _ := os.ReadFile(file)
	line := 0
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "hosts: [adult.example]") {
			line = i + 1
		}
	}
	msg := errs[0].Error()
	want := "locked.policytest:" + strconv.Itoa(line) + ": exceptions[1].hosts[0]: adult.example is in locked category adult"
	if !strings.Contains(msg, want) || !errors.Is(errs[0], ErrInvalid) {
		t.Errorf("got %q\nwant it to hold %q and be ErrInvalid", msg, want)
	}
	found := false
	for _, w := range s.Warnings() {
		found = found || strings.Contains(w, "exceptions[1].hosts[0]")
	}
	if !found {
		t.Errorf("warnings %q do not name the exception", s.Warnings())
	}
}
