package config

import (
	"fmt"
	"time"
)

// The captive portal: a group with `portal: true` sends its unidentified
// clients (no proxy log-in, no portal sign-in from their address) to the
// sign-in page on blockpage.listen, by DNS (every name answers
// dns.blockpage_ipv4/ipv6, TTL 0) and by the proxy (every request answers
// the page). A sign-in there maps the address to the person for
// identity.portal_session, exactly as a proxy log-in does.

// PortalStaffIdle ends a staff member's portal sign-in after this long
// without a query from the device: a staff device left signed in is a
// staff member's access handed to whoever picks it up.
const PortalStaffIdle = 30 * time.Minute

// HasPortal reports whether any group has portal: true.
func (c *Config) HasPortal() bool {
	for _, g := range c.Groups {
		if g.Value.Portal {
			return true
		}
	}
	return false
}

// validatePortal checks that a portal group can be placed by its address
// and that the sign-in page has somewhere to be served.
func (c *Config) validatePortal() error {
	if err := c.PortalAllow.validate(); err != nil {
		return err
	}
	if err := c.BlockPage.TLS.validate(); err != nil {
		return err
	}
	if c.BlockPage.TLS.On() && c.BlockPage.Listen == "" {
		return fmt.Errorf("blockpage.tls: needs blockpage.listen (the plain-HTTP page devices reach first)")
	}
	if c.Identity.PortalSession < 0 {
		return fmt.Errorf("identity.portal_session: must not be negative")
	}
	for _, g := range c.Groups {
		if !g.Value.Portal {
			continue
		}
		at := fmt.Sprintf("groups.%s.portal (line %d)", g.Name, g.Value.Line)
		if len(g.Value.Networks) == 0 {
			return fmt.Errorf("%s: a portal group needs networks: the sign-in page is for the devices on them", at)
		}
		if c.BlockPage.Listen == "" {
			return fmt.Errorf("%s: the sign-in page is served on blockpage.listen, which is empty", at)
		}
	}
	return nil
}

// PortalUntil is when a portal sign-in made at now ends: now plus
// identity.portal_session when set; else site.school_day_end today when
// set and still ahead; else now plus proxy.session_ttl.
func (c *Config) PortalUntil(now time.Time, loc *time.Location) time.Time {
	if c.Identity.PortalSession > 0 {
		return now.Add(c.Identity.PortalSession.D())
	}
	if loc != nil {
		if end, ok := c.Site.SchoolDayEndAt(now.In(loc)); ok && end.After(now) {
			return end
		}
	}
	return now.Add(c.Proxy.SessionTTL.D())
}
