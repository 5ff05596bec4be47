// Command tunnelload measures HTTPS through a proxy's CONNECT tunnels:
// -c connections each open one tunnel, do a TLS handshake and then send
// keep-alive GETs for -d; it prints requests/s and latency percentiles in
// the same shape as wrk's summary.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	proxy := flag.String("proxy", "127.0.0.1:3128", "proxy address")
	target := flag.String("target", "127.0.0.1:18443", "CONNECT target host:port")
	path := flag.String("path", "/small", "path to GET")
	conns := flag.Int("c", 50, "connections")
	dur := flag.Duration("d", 10*time.Second, "duration")
	flag.Parse()
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var wg sync.WaitGroup
	end := time.Now().Add(*dur)
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, e := run(*proxy, *target, *path, end)
			mu.Lock()
			lat = append(lat, l...)
			errs += e
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(p*float64(len(lat)-1))]
	}
	fmt.Printf("requests %d errors %d rps %.0f p50 %s p90 %s p99 %s\n", len(lat), errs, float64(len(lat))/dur.Seconds(), pct(.5), pct(.9), pct(.99))
	if len(lat) == 0 {
		os.Exit(1)
	}
}

func run(proxy, target, path string, end time.Time) ([]time.Duration, int) {
	c, err := net.Dial("tcp", proxy)
	if err != nil {
		return nil, 1
	}
	defer c.Close()
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: "CONNECT"})
	if err != nil || resp.StatusCode != 200 {
		return nil, 1
	}
	tc := tls.Client(&rc{Conn: c, r: br}, &tls.Config{InsecureSkipVerify: true, ServerName: "example.com"})
	tbr := bufio.NewReader(tc)
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n")
	var lat []time.Duration
	for time.Now().Before(end) {
		start := time.Now()
		if _, err := tc.Write(req); err != nil {
			return lat, 1
		}
		resp, err := http.ReadResponse(tbr, nil)
		if err != nil {
			return lat, 1
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(start))
	}
	return lat, 0
}

type rc struct {
	net.Conn
	r *bufio.Reader
}

func (c *rc) Read(p []byte) (int, error) { return c.r.Read(p) }
