package config

import (
	"strings"
	"testing"
	"time"
)

// TestPortalSection: portal: true is read strictly, needs networks and a
// block-page listener; a sign-in lasts portal_session, else until the end
// of the school day when still ahead, else proxy.session_ttl.
func TestPortalSection(t *testing.T) {
	const bp = "blockpage: {listen: 127.0.0.1:8080}\n"
	for _, c := range []struct{ yaml, want string }{
		{bp + "groups:\n  devices: {networks: [10.9.0.0/16], portal: true}\n", ""},
		{bp + "groups:\n  devices: {networks: [10.9.0.0/16], portal: yes please}\n", "groups.devices.portal"},
		{bp + "groups:\n  devices: {users: [amy], portal: true}\n", "groups.devices.portal (line 3): a portal group needs networks"},
		{"groups:\n  devices: {networks: [10.9.0.0/16], portal: true}\n", "blockpage.listen, which is empty"},
		{bp + "identity: {portal_session: -1h}\n", "identity.portal_session"},
		{bp + "identity: {portal_session: soon}\n", "identity.portal_session"},
	} {
		_, err := Parse("p.yaml", "/tmp/p.yaml", []byte(c.yaml))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.yaml, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}

	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	morning := time.Date(2026, 3, 9, 9, 0, 0, 0, loc)
	evening := time.Date(2026, 3, 9, 18, 0, 0, 0, loc)
	for _, c := range []struct {
		yaml string
		at   time.Time
		want time.Time
	}{
		{"identity: {portal_session: 2h}\nsite: {school_day_end: '15:30'}\n", morning, morning.Add(2 * time.Hour)},
		{"site: {school_day_end: '15:30'}\n", morning, time.Date(2026, 3, 9, 15, 30, 0, 0, loc)},
		{"site: {school_day_end: '15:30'}\nproxy: {session_ttl: 3h}\n", evening, evening.Add(3 * time.Hour)},
		{"proxy: {session_ttl: 3h}\n", morning, morning.Add(3 * time.Hour)},
	} {
		cfg, err := Parse("p.yaml", "/tmp/p.yaml", []byte(c.yaml))
		if err != nil {
			t.Fatalf("%q: %v", c.yaml, err)
		}
		if got := cfg.PortalUntil(c.at.UTC(), loc); !got.Equal(c.want) {
			t.Errorf("%q at %s: until %s, want %s", c.yaml, c.at, got, c.want)
		}
	}
}
