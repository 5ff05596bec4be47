// Command pct reads `dnsperf -v` output and prints latency percentiles.
// dnsperf -v reports each answered query as "> RCODE name type latency".
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

func main() {
	var lat []float64
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[0] != ">" {
			continue
		}
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			lat = append(lat, v)
		}
	}
	if len(lat) == 0 {
		fmt.Println("no latencies read")
		os.Exit(1)
	}
	slices.Sort(lat)
	p := func(q float64) string {
		return fmt.Sprintf("%.3f ms", lat[min(len(lat)-1, int(q*float64(len(lat))))]*1000)
	}
	fmt.Printf("n=%d p50=%s p90=%s p99=%s p99.9=%s max=%s\n", len(lat), p(.50), p(.90), p(.99), p(.999), p(1))
}
