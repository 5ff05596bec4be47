package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"schoolgate/internal/config"
)

const reloadUsage = `usage: schoolgate reload [--force] [--admin HOST:PORT] [-c policy.yaml]
Asks the running serve, through its admin listener (admin.listen in the policy, else --admin),
to reload the policy. Without --force the reload is checked like the file watcher's: a policy
that removes a category, drops more than half of the list entries or loses dns.upstreams is
refused. With --force any policy that validates is applied (as SIGHUP does).`

func runReload(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "reload")
	var cf commonFlags
	cf.register(a, fs)
	force := fs.Bool("force", false, "apply any policy that validates, even one that removes categories or most entries")
	admin := fs.String("admin", "", "the admin listener of the running serve (default: admin.listen from the policy)")
	withUsage(a, fs, reloadUsage)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected %q\n%s", ErrUsage, pos[0], reloadUsage)
	}
	addr := *admin
	if addr == "" {
		path, err := cf.configPath(a)
		if err != nil {
			return err
		}
		c, err := config.LoadComposed(path)
		if err != nil {
			return err
		}
		addr = c.Admin.Listen
	}
	addr, err = dialable(addr)
	if err != nil {
		return err
	}
	u := "http://" + addr + "/reload"
	if *force {
		u += "?force=1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute) // a large policy takes a while to compile
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	// Straight to serve: never through an HTTP_PROXY from the environment
	// (which may well be this very filter).
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("is serve running? %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s (the previous policy stays in force)", resp.Status, msg)
	}
	fmt.Fprintln(a.Stdout, safeLines(msg))
	return nil
}

// dialable turns a listen address into one to connect to: an unspecified
// host (":9153", "0.0.0.0:9153") is reached on loopback, which is also the
// only place reload is accepted from.
func dialable(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%w: --admin %q: %v", ErrUsage, addr, err)
	}
	if port == "0" {
		return "", fmt.Errorf("%w: admin.listen %q has no fixed port: give --admin HOST:PORT (serve logs it: admin listening)", ErrUsage, addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port), nil
}
