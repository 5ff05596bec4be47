package console

import (
	"errors"
	"net/http"
	"net/netip"

	"schoolgate/internal/safeguarding"
)

// deviceEnd ends a device's proxy log-in: the proxy and the DNS resolver
// read the same sessions, so the device is placed by its networks at
// once, and every other node of the school within a second (the end is
// stored). The audit record names the person and the address.
func (c *Console) deviceEnd(w http.ResponseWriter, r *http.Request, v *visit) {
	addr, err := netip.ParseAddr(r.PathValue("addr"))
	if err != nil || c.devs == nil {
		c.showDevices(w, r, v, http.StatusNotFound, devicesView{Error: "No device is signed in from that address."})
		return
	}
	addr = addr.Unmap()
	user, err := safeguarding.EndDevice(v.actor, c.devs, addr)
	switch {
	case errors.Is(err, safeguarding.ErrForbidden):
		c.forbidden(w, r, v, safeguarding.EndDeviceSignIn) // never the list
		return
	case errors.Is(err, safeguarding.ErrNoDeviceSession):
		c.showDevices(w, r, v, http.StatusNotFound, devicesView{Error: "No device is signed in from " + addr.String() + " now: its sign-in has ended already."})
		return
	case err != nil:
		c.fail(w, r, v, err)
		return
	}
	if err := c.recordEnds(r, v, user, []netip.Addr{addr}, map[string]any{"addr": addr.String()}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/devices?done=ended", http.StatusSeeOther)
}

// endDevices ends every device sign-in of a person just disabled, with
// one audit record naming the addresses. (The resolver places a disabled
// person by their networks anyway; this ends it before its directory
// cache expires, and takes them off the devices page.)
func (c *Console) endDevices(r *http.Request, v *visit, user string) error {
	if c.devs == nil {
		return nil
	}
	ended := c.devs.EndUser(user)
	if len(ended) == 0 {
		return nil
	}
	addrs := make([]string, len(ended))
	for i, a := range ended {
		addrs[i] = a.String()
	}
	return c.recordEnds(r, v, user, ended, map[string]any{"addrs": addrs, "why": "disabled"})
}
