package console

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// devicesForm is the devices page's filter: part of a person's username
// or name, and an address or network.
type devicesForm struct {
	Person string
	Addr   string
}

// errDevicesFilter: the filter's address is neither an address nor a
// network.
var errDevicesFilter = errors.New("not an IP address or network (10.20.0.7 or 10.20.0.0/16)")

// Validate checks the address field.
func (f devicesForm) Validate() error {
	if len(f.Person) > 200 {
		return fmt.Errorf("person: longer than 200 characters")
	}
	if f.Addr == "" {
		return nil
	}
	if _, err := f.network(); err != nil {
		return fmt.Errorf("address %q: %w", f.Addr, errDevicesFilter)
	}
	return nil
}

// network is the address filter as a prefix (one address is a /32 or
// /128).
func (f devicesForm) network() (netip.Prefix, error) {
	if strings.Contains(f.Addr, "/") {
		p, err := netip.ParsePrefix(f.Addr)
		if err != nil {
			return netip.Prefix{}, err
		}
		bits := p.Bits() - unmapBits(p.Addr())
		if bits < 0 {
			return netip.Prefix{}, errDevicesFilter
		}
		return netip.PrefixFrom(p.Addr().Unmap(), bits).Masked(), nil
	}
	a, err := netip.ParseAddr(f.Addr)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// unmapBits is what an IPv4-mapped prefix loses when unmapped.
func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// matches says whether a device of person (username and name) at addr
// passes the filter.
func (f devicesForm) matches(addr netip.Addr, username, name string) bool {
	if q := strings.ToLower(strings.TrimSpace(f.Person)); q != "" &&
		!strings.Contains(strings.ToLower(username), q) && !strings.Contains(strings.ToLower(name), q) {
		return false
	}
	if f.Addr != "" {
		p, err := f.network()
		if err != nil || !p.Contains(addr) {
			return false
		}
	}
	return true
}
