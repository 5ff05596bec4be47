package cli

import (
	"fmt"
	"io"

	"schoolgate/internal/config"
)

// checkPortal warns when the devices' sign-in page would take directory
// passwords (identity.password: ldap, the school's AD passwords) over
// plain HTTP.
func checkPortal(w io.Writer, path string, cfg *config.Config) {
	if cfg.PortalPasswordsInClear() {
		fmt.Fprintf(w, "warning: %s: identity.password: ldap with a portal group and no blockpage.tls: the sign-in page takes the school's directory passwords over plain HTTP (set blockpage.tls)\n", path)
	}
}
