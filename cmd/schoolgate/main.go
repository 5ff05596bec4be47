// Command schoolgate is the whole of Schoolgate in one binary: the DNS
// filter, the web proxy, the console and every administrative task.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"schoolgate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
