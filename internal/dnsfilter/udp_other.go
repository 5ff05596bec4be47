//go:build !linux

package dnsfilter

import "net"

// serveUDP reads c one datagram at a time (batched reads are Linux only).
func (s *Server) serveUDP(c *net.UDPConn) { s.serveUDPEach(c) }
