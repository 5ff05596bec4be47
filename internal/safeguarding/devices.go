package safeguarding

import (
	"errors"
	"fmt"
	"net/netip"
)

// DeviceSessions are the proxy log-ins a device's sign-in is ended in
// (identity.Sessions, shared with the identity resolver).
type DeviceSessions interface {
	End(ip netip.Addr) (user string, ok bool)
}

// ErrNoDeviceSession: no device is signed in from the address now.
var ErrNoDeviceSession = errors.New("no device is signed in from that address now")

// EndDevice ends the proxy log-in from addr, after checking that the
// actor may (EndDeviceSignIn), and says whose it was: the device is
// placed by its networks from the next look-up. The caller audits it
// with the person and the address.
func EndDevice(a Actor, sessions DeviceSessions, addr netip.Addr) (string, error) {
	if err := check(a, EndDeviceSignIn); err != nil {
		return "", err
	}
	if sessions == nil {
		return "", fmt.Errorf("%s: %w", addr, ErrNoDeviceSession)
	}
	user, ok := sessions.End(addr)
	if !ok {
		return "", fmt.Errorf("%s: %w", addr.Unmap(), ErrNoDeviceSession)
	}
	return user, nil
}
