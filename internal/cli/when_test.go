package cli

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		back bool
		want string // RFC 3339 in UTC; "" for an error
	}{
		{"2026-12-02T10:00:00Z", false, "2026-12-02T10:00:00Z"},
		{"2026-12-02T10:00:00+01:00", false, "2026-12-02T09:00:00Z"},
		{"2026-12-02T10:00", false, "2026-12-02T10:00:00Z"},    // GMT in winter
		{"2026-07-01T10:00", false, "2026-07-01T09:00:00Z"},    // BST in summer
		{"2026-07-01 10:00", false, "2026-07-01T09:00:00Z"},    // with a space
		{"2026-07-01 10:00:30", false, "2026-07-01T09:00:30Z"}, // with seconds
		{"2026-07-01", false, "2026-06-30T23:00:00Z"},          // midnight, site time
		{"24h", true, "2026-12-01T12:00:00Z"},
		{"7d", true, "2026-11-25T12:00:00Z"},
		{"24h", false, ""}, // --at takes no duration
		{"tomorrow", true, ""},
		{"2026-13-01", false, ""},
		{"10:00", false, ""},
	} {
		got, err := parseWhen("--at", tc.in, london, now, tc.back)
		if tc.want == "" {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("parseWhen(%q) = %v, %v; want a usage error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("parseWhen(%q) = %v, %v; want %s", tc.in, got.UTC(), err, tc.want)
		}
	}
	if got, err := parseWhen("--since", "", london, now, true); err != nil || !got.IsZero() {
		t.Errorf("empty: %v %v", got, err)
	}
	if got := siteTime(time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), london); got != "2026-07-01 10:00 +01:00" {
		t.Errorf("siteTime in summer: %q", got)
	}
}

// TestCheckAtSiteLocalTime: --at without an offset is read in
// site.timezone: 12:20 in London in June is lunch (BST), while 12:20 UTC
// is 13:20 there, after it.
func TestCheckAtSiteLocalTime(t *testing.T) {
	p := writePolicy(t, `site: {name: S, timezone: Europe/London}
categories:
  shopping: {sources: [{path: shop.txt, format: domains}]}
schedules:
  lunch: [{days: [mon, tue, wed, thu, fri], from: "12:15", to: "13:15"}]
groups:
  staff: {networks: [10.0.0.0/8]}
rules:
  shopping: {staff: allow during lunch, others: block}
default: allow
`, map[string]string{"shop.txt": "shop.example\n"})
	for at, want := range map[string]string{
		"2026-06-03T12:20":     "allow",
		"2026-06-03 12:20":     "allow",
		"2026-06-03T12:20:00Z": "block",
		"2026-06-03T11:20:00Z": "allow",
		"2026-06-03":           "block",
	} {
		code, out, errs := run(t, "", "check", "-c", p, "--group", "staff", "--at", at, "shop.example")
		rs := decodeLines(t, out)
		if code != 0 || len(rs) != 1 || rs[0].Verdict != want {
			t.Errorf("--at %s: %d %s %s, want %s", at, code, out, errs, want)
		}
	}
	if code, _, errs := run(t, "", "check", "-c", p, "--group", "staff", "--at", "noon", "shop.example"); code != 2 || !strings.Contains(errs, "site.timezone") {
		t.Errorf("bad --at: %d %s", code, errs)
	}
}
