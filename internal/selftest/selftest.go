// Package selftest is the automated filtering self-test: for every group
// of the policy it sends each configured probe name through the node's
// real DNS listener and real proxy, over loopback, standing for that
// group (a signed probe token, package probe), and compares each answer
// with what the policy says that group should get. A category whose
// lists no longer contain its probe name (an emptied or broken list) is a
// mismatch too, whatever the listeners answered.
package selftest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/safeguarding"
)

// ErrNoProbes: the policy has no selftest.probes.
var ErrNoProbes = errors.New("no selftest.probes in the policy: nothing to test")

// ErrNoListener: neither DNS nor the proxy is there to probe.
var ErrNoListener = errors.New("nothing to probe: dns.listen and proxy.listen are both empty")

// ErrNoGroup: --group names no group of the policy.
var ErrNoGroup = errors.New("no such group")

// Options are one run's inputs.
type Options struct {
	// Snapshot is the policy the answers are compared with.
	Snapshot *policy.Snapshot
	// Overrides are the live overrides the node applies (may be nil).
	Overrides *policy.Overrides
	// Key signs the probes (the node's probe key).
	Key []byte
	// DNS and Proxy are the addresses probed ("" skips that path: the
	// node does not run it).
	DNS, Proxy string
	// Group limits the run to one group ("" every group).
	Group   string
	Now     func() time.Time
	Timeout time.Duration // per probe (default 3s)
}

// Result is one probe's outcome.
type Result struct {
	Group    string `json:"group"`
	User     string `json:"user,omitempty"` // the test user it stood for
	Category string `json:"category"`
	Host     string `json:"host"`
	Path     string `json:"path"` // dns or proxy
	Want     string `json:"want"` // blocked or allowed (DNS); block, warn or allow (proxy)
	Got      string `json:"got"`
	OK       bool   `json:"ok"`
	// Note says why a result failed besides the answer (the category
	// does not list the name).
	Note string `json:"note,omitempty"`
}

// Mismatch describes a failed result in a sentence (no person: groups,
// categories and test names only).
func (r Result) Mismatch() string {
	if r.Note != "" {
		return fmt.Sprintf("%s, %s, %s through %s: %s", r.Group, r.Category, r.Host, pathWords(r.Path), r.Note)
	}
	return fmt.Sprintf("%s, %s, %s through %s: the policy says %s, the node answered %s", r.Group, r.Category, r.Host, pathWords(r.Path), r.Want, r.Got)
}

func pathWords(p string) string {
	if p == "dns" {
		return "DNS"
	}
	return "the proxy"
}

// Report is one run.
type Report struct {
	At      time.Time `json:"at"`
	DNS     string    `json:"dns,omitempty"`
	Proxy   string    `json:"proxy,omitempty"`
	Results []Result  `json:"results"`
}

// Mismatches are the failed results' sentences.
func (r *Report) Mismatches() []string {
	var out []string
	for _, x := range r.Results {
		if !x.OK {
			out = append(out, x.Mismatch())
		}
	}
	return out
}

// Groups are the groups probed, in order.
func (r *Report) Groups() []string {
	var out []string
	for _, x := range r.Results {
		if !slices.Contains(out, x.Group) {
			out = append(out, x.Group)
		}
	}
	return out
}

// Measured is the run as a measured check.
func (r *Report) Measured() safeguarding.Measured {
	var target []string
	if r.DNS != "" {
		target = append(target, "DNS "+r.DNS)
	}
	if r.Proxy != "" {
		target = append(target, "proxy "+r.Proxy)
	}
	groups := r.Groups()
	tested := fmt.Sprintf("Self-test: %d probes for %d groups (%s)", len(r.Results), len(groups), strings.Join(groups, ", "))
	return safeguarding.Measured{At: r.At, Target: strings.Join(target, ", "), Tested: tested, Details: r.Table(), Mismatches: r.Mismatches()}
}

// Run probes every group (or opt.Group) with every category's names.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Timeout == 0 {
		opt.Timeout = 3 * time.Second
	}
	snap := opt.Snapshot
	cfg := snap.Config()
	st := cfg.Selftest
	if len(st.Probes) == 0 {
		return nil, ErrNoProbes
	}
	if opt.DNS == "" && opt.Proxy == "" {
		return nil, ErrNoListener
	}
	groups := snap.Groups()
	if opt.Group != "" {
		if _, ok := snap.GroupIndex(opt.Group); !ok {
			return nil, fmt.Errorf("selftest: --group %q: %w", opt.Group, ErrNoGroup)
		}
		groups = []string{opt.Group}
	}
	rep := &Report{At: opt.Now(), DNS: opt.DNS, Proxy: opt.Proxy}
	for _, g := range groups {
		user, _ := st.Users.Get(g)
		for _, p := range st.Probes {
			ci, ok := snap.CategoryIndex(p.Name)
			if !ok {
				return nil, fmt.Errorf("selftest: category %s: not in the policy", p.Name)
			}
			for _, host := range p.Value {
				rep.Results = append(rep.Results, probeOne(ctx, opt, g, user, ci, p.Name, host)...)
			}
		}
	}
	return rep, nil
}

// probeOne probes one name for one group on each path the node runs.
func probeOne(ctx context.Context, opt Options, group, user string, ci int, cat, host string) []Result {
	snap := opt.Snapshot
	// The expectation is the group's own, also for a test user: a test
	// user the node places in other groups shows as a mismatch.
	groups := snap.GroupSet([]string{group})
	d := snap.Decide(&policy.Query{Host: host, User: user, Groups: groups, At: opt.Now(), Overrides: opt.Overrides})
	note := ""
	if !d.Categories.Has(ci) {
		note = fmt.Sprintf("the %s lists do not contain %s (an empty or broken list?)", cat, host)
	}
	var out []Result
	if opt.DNS != "" {
		want := "allowed"
		if d.Verdict != policy.Allow || d.Illegal {
			want = "blocked"
		}
		got := askDNS(ctx, opt, group, user, host)
		out = append(out, Result{Group: group, User: user, Category: cat, Host: host, Path: "dns", Want: want, Got: got, OK: note == "" && got == want, Note: note})
	}
	if opt.Proxy != "" {
		want := "allow"
		switch {
		case d.Illegal || d.Verdict == policy.Block:
			want = "block"
		case d.Verdict == policy.Warn:
			want = "warn"
		}
		got := askProxy(ctx, opt, group, user, host)
		out = append(out, Result{Group: group, User: user, Category: cat, Host: host, Path: "proxy", Want: want, Got: got, OK: note == "" && got == want, Note: note})
	}
	return out
}

// Table is the report as text: one table per group.
func (r *Report) Table() string {
	var b strings.Builder
	for _, g := range r.Groups() {
		fmt.Fprintf(&b, "group %s\n", g)
		fmt.Fprintf(&b, "  %-6s %-5s %-16s %-36s %-8s %-8s\n", "", "path", "category", "name", "want", "got")
		for _, x := range r.Results {
			if x.Group != g {
				continue
			}
			mark := "ok"
			if !x.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(&b, "  %-6s %-5s %-16s %-36s %-8s %-8s\n", mark, x.Path, x.Category, x.Host, x.Want, x.Got)
			if x.Note != "" {
				fmt.Fprintf(&b, "         %s\n", x.Note)
			}
		}
	}
	return b.String()
}

// Addresses are the DNS and proxy addresses to probe from the policy:
// selftest.dns and selftest.proxy, else the first dns.listen address and
// proxy.listen, an unspecified host (0.0.0.0, ::, none) as loopback.
func Addresses(cfg *config.Config) (dns, proxy string) {
	dns, proxy = cfg.Selftest.DNS, cfg.Selftest.Proxy
	if dns == "" && len(cfg.DNS.Listen) > 0 {
		dns = loopback(cfg.DNS.Listen[0])
	}
	if proxy == "" && cfg.Proxy.Listen != "" {
		proxy = loopback(cfg.Proxy.Listen)
	}
	return dns, proxy
}

func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// Unlisted is a probe name its category's lists do not contain.
type Unlisted struct {
	Category, Host string
	Illegal        bool
	Line           int
}

// UnlistedProbes lists the probe names the compiled policy's categories do not
// contain: an illegal category's test entry not added to its list, or a
// list not downloaded yet.
func UnlistedProbes(snap *policy.Snapshot) []Unlisted {
	var out []Unlisted
	for _, p := range snap.Config().Selftest.Probes {
		ci, ok := snap.CategoryIndex(p.Name)
		if !ok {
			continue
		}
		for _, host := range p.Value {
			d := snap.Decide(&policy.Query{Host: host})
			if !d.Categories.Has(ci) {
				out = append(out, Unlisted{Category: p.Name, Host: host, Illegal: snap.IsIllegal(ci), Line: p.Line})
			}
		}
	}
	return out
}
