// Command gen writes the benchmark's block list (N generated domains) and
// dnsperf's query file: a shuffled mix of allowed and blocked names. By
// default every allowed line is a name of its own and blocked lines are
// drawn from the whole list; -allowed and -blocked-names draw them from
// fewer names instead (popular names asked again and again).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	entries := flag.Int("entries", 1_000_000, "block-list entries")
	queries := flag.Int("queries", 20000, "distinct query lines")
	blocked := flag.Float64("blocked", 0.3, "share of queries for blocked names")
	list := flag.String("list", "blocked.txt", "block list to write (empty: none)")
	qfile := flag.String("queries-file", "queries.txt", "dnsperf query file to write")
	allowed := flag.Int("allowed", 0, "distinct allowed names to draw from (0: one per line)")
	blockedNames := flag.Int("blocked-names", 0, "distinct blocked names to draw from (0: every entry)")
	flag.Parse()
	if *list != "" {
		if err := write(*list, func(w *bufio.Writer) {
			for i := range *entries {
				fmt.Fprintf(w, "site%d.blocked-example.net\n", i)
			}
		}); err != nil {
			fail(err)
		}
	}
	nb := *entries
	if *blockedNames > 0 {
		nb = min(*blockedNames, nb)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if err := write(*qfile, func(w *bufio.Writer) {
		for i := range *queries {
			if rng.Float64() < *blocked {
				fmt.Fprintf(w, "www.site%d.blocked-example.net A\n", rng.IntN(nb))
			} else if *allowed > 0 {
				fmt.Fprintf(w, "host%d.allowed-example.org A\n", rng.IntN(*allowed))
			} else {
				fmt.Fprintf(w, "host%d.allowed-example.org A\n", i)
			}
		}
	}); err != nil {
		fail(err)
	}
}

func write(path string, f func(*bufio.Writer)) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	f(w)
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
