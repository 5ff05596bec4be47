// Command upstream is the benchmark's local authoritative DNS server (the
// same answers as the resolver's tests): every name has an A record.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"schoolgate/internal/dnsfilter/dnstest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5400", "listen address (UDP and TCP)")
	ttl := flag.Uint("ttl", 3600, "answer TTL in seconds")
	flag.Parse()
	up, err := dnstest.Start(*addr, uint32(*ttl))
	if err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
	fmt.Println("upstream ready on", up.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	up.Close()
	fmt.Println("upstream answered", up.Queries(), "queries")
}
