package safeguarding

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"schoolgate/internal/identity"
)

// TestEndDevice: the roles with end-device-sign-in end a device's
// proxy log-in and learn whose it was; any other role is refused and the
// sign-in stays; an address with no sign-in is ErrNoDeviceSession.
func TestEndDevice(t *testing.T) {
	ip := netip.MustParseAddr("10.20.0.7")
	for _, role := range identity.AllRoles() {
		sessions := identity.NewSessions(nil)
		sessions.Set(ip, "ada", time.Hour)
		a := Actor{Username: "x", Roles: []identity.Role{role}}
		user, err := EndDevice(a, sessions, ip)
		_, still := sessions.Lookup(ip)
		if Can(a.Roles, EndDeviceSignIn) {
			if err != nil || user != "ada" || still {
				t.Errorf("%s: %q %v, still signed in %v", role, user, err, still)
			}
			if _, err := EndDevice(a, sessions, ip); !errors.Is(err, ErrNoDeviceSession) {
				t.Errorf("%s ending twice: %v", role, err)
			}
			continue
		}
		if !errors.Is(err, ErrForbidden) || user != "" || !still {
			t.Errorf("%s: %q %v, still signed in %v", role, user, err, still)
		}
	}
}
