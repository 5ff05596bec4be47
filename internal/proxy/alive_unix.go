//go:build unix

package proxy

import (
	"net"
	"syscall"
)

// alive reports whether an idle connection to a site is still open: a
// non-blocking peek finds no end of file (and no unexpected bytes). Sites
// close idle connections after their own keep-alive timeout (Apache's is
// five seconds), and a request with a body cannot be sent again once sent
// into a closed one.
func alive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && (rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && open
}
