//go:build !unix

package proxy

import "net"

// alive cannot peek at a connection here: a request with a body always
// gets a new connection to its site.
func alive(net.Conn) bool { return false }
