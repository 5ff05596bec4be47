// Command gen writes the benchmark's block list (N generated domains) and
// dnsperf's query file: a shuffled mix of allowed and blocked names.
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
	list := flag.String("list", "blocked.txt", "block list to write")
	qfile := flag.String("queries-file", "queries.txt", "dnsperf query file to write")
	flag.Parse()
	if err := write(*list, func(w *bufio.Writer) {
		for i := range *entries {
			fmt.Fprintf(w, "site%d.blocked-example.net\n", i)
		}
	}); err != nil {
		fail(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	if err := write(*qfile, func(w *bufio.Writer) {
		for i := range *queries {
			if rng.Float64() < *blocked {
				fmt.Fprintf(w, "www.site%d.blocked-example.net A\n", rng.IntN(*entries))
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
