package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"schoolgate/internal/policy"
)

// checkResult is one line of `schoolgate check` output (a contract: other
// tools read it).
type checkResult struct {
	Target          string   `json:"target"`
	Host            string   `json:"host"`
	Groups          []string `json:"groups"`
	Verdict         string   `json:"verdict"`
	Categories      []string `json:"categories"`
	Illegal         bool     `json:"illegal"`
	Match           string   `json:"match"`
	Rule            string   `json:"rule"`
	Reason          string   `json:"reason"`
	NeedsPermission bool     `json:"needs_permission,omitempty"`
	Until           string   `json:"until,omitempty"`
	Error           string   `json:"error,omitempty"`
}

func runCheck(ctx context.Context, a *App, args []string) error {
	fs := newFlags(a, "check")
	var cf commonFlags
	cf.register(a, fs)
	group := fs.String("group", "", "decide as a client in this group alone")
	client := fs.String("client", "", "decide as this client IP (its networks, else default_group)")
	user := fs.String("user", "", "decide as this user (groups from the user directory and the policy's users: lists; with --group, the user's grants apply to that group)")
	at := fs.String("at", "", "decide at this time (RFC 3339; default now)")
	fs.Usage = func() {
		fmt.Fprintln(a.Stderr, "usage: schoolgate check -c policy.yaml [--group G | --client IP] [--user U] [--at RFC3339] TARGET... (TARGET - reads stdin)")
		fs.PrintDefaults()
	}
	targets, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return fmt.Errorf("%w: no TARGET given (a URL or host, or - for stdin)", ErrUsage)
	}
	if *group != "" && *client != "" {
		return fmt.Errorf("%w: give --group or --client, not both", ErrUsage)
	}
	// A device's own overrides (a Continue) apply to its address.
	var clientIP netip.Addr
	if *client != "" {
		if clientIP, err = netip.ParseAddr(*client); err != nil {
			return fmt.Errorf("%w: --client: %q is not an IP address", ErrUsage, *client)
		}
	}
	path, err := cf.configPath(a)
	if err != nil {
		return err
	}
	snap, err := policy.LoadFile(path, policy.Options{DataDir: cf.data, Logger: a.Log})
	if err != nil {
		return err
	}
	when := time.Now()
	if *at != "" {
		when, err = policy.ParseUntil(*at, snap.Location())
		if err != nil {
			return fmt.Errorf("%w: --at: %v", ErrUsage, err)
		}
	}
	live, err := openLive(ctx, a, snap.Config(), cf.data)
	if err != nil {
		return err
	}
	defer live.close()
	ovs, err := live.overrides(ctx, when)
	if err != nil {
		return err
	}
	var groups policy.Set
	switch {
	case *group != "":
		i, ok := snap.GroupIndex(*group)
		if !ok {
			return fmt.Errorf("%w: --group: unknown group %q (groups: %s)", ErrUsage, *group, strings.Join(snap.Groups(), ", "))
		}
		groups.Add(i)
	case *user != "":
		who := live.resolver().User(ctx, snap, *user, clientIP, nil)
		if who.Err != nil {
			return fmt.Errorf("--user %s: %w", *user, who.Err)
		}
		if !who.Known {
			return fmt.Errorf("%w: --user: %q is neither in the user directory nor in a group's users: list", ErrUsage, *user)
		}
		if who.Disabled {
			fmt.Fprintf(a.Stderr, "schoolgate check: user %q is disabled: placed by the client address, as serve would\n", *user)
		}
		*user = who.User
		groups = who.Groups
	default:
		ip := clientIP
		if !ip.IsValid() {
			ip = netip.IPv4Unspecified()
		}
		groups = snap.GroupsForIP(ip)
	}
	out := bufio.NewWriter(a.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	groupNames := snap.GroupNames(groups)
	if groupNames == nil {
		groupNames = []string{}
	}
	one := func(t string) error {
		r := checkOne(snap, t, *user, clientIP, groups, groupNames, when, ovs)
		return enc.Encode(r)
	}
	for _, t := range targets {
		if t != "-" {
			if err := one(t); err != nil {
				return err
			}
			continue
		}
		sc := bufio.NewScanner(a.Stdin)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			line := sc.Text()
			if len(line) == 0 {
				continue
			}
			if err := one(line); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading targets: %w", err)
		}
	}
	return nil
}

func checkOne(snap *policy.Snapshot, target, user string, client netip.Addr, groups policy.Set, groupNames []string, at time.Time, ovs *policy.Overrides) checkResult {
	r := checkResult{Target: target, Groups: groupNames, Categories: []string{}}
	t, err := policy.ParseTarget(target)
	if err != nil {
		r.Verdict, r.Error = "error", err.Error()
		return r
	}
	r.Host = t.Host
	d := snap.Decide(&policy.Query{Host: t.Host, Path: t.Path, User: user, Client: client, Groups: groups, At: at, Overrides: ovs})
	r.Verdict = d.Verdict.String()
	r.Categories = snap.CategoryNames(&d)
	r.Illegal = d.Illegal
	r.Match = snap.Match(&d)
	r.Rule = snap.Rule(&d)
	r.Reason = snap.Reason(&d)
	r.NeedsPermission = d.NeedsPermission
	if !d.Until.IsZero() {
		r.Until = d.Until.UTC().Format(time.RFC3339)
	}
	return r
}
