package dnsfilter

import (
	"net/netip"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
)

// view is what the resolver derives from one policy snapshot: the dns:
// settings, the upstreams, and per-group and per-category facts computed
// once instead of per query. A reload builds a new view beside the old.
type view struct {
	snap *policy.Snapshot
	cfg  config.DNS

	blockMode, illegalMode string
	v4, v6                 []byte
	maxTTL                 uint32
	logQueries             bool
	up                     *upstreams
	limit                  *limiter // nil when off
	clients                []netip.Prefix

	cats []catInfo

	groups   cowMap[policy.Set, *groupInfo]
	catNames cowMap[policy.Set, []string] // for the activity log
	rules    cowMap[ruleKey, string]      // for the activity log
}

// ruleKey is what a decision's rule name depends on (overrides aside).
type ruleKey struct {
	src            policy.Source
	cat, cell, exc int
}

// groupInfo is what the resolver needs about one set of groups.
type groupInfo struct {
	names      []string // shared: never modify
	filtered   bool
	safesearch policy.SafeSearch
}

// catInfo is per category: its blocks counter and EDE texts.
type catInfo struct {
	blocks  prometheus.Counter
	block   string
	warn    string
	perm    string
	illegal string
}

// maxGroupSets bounds the per-view group cache (sets seen are few: one
// per network and user mix).
const maxGroupSets = 4096

// noCap is the TTL cap of an unfiltered client with nothing to expire.
const noCap = 1<<31 - 1

func (s *Server) newView(snap *policy.Snapshot, old *view) (*view, error) {
	cfg := snap.Config().DNS
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &view{
		snap:        snap,
		cfg:         cfg,
		blockMode:   string(cfg.BlockResponse),
		illegalMode: string(cfg.IllegalResponse),
		maxTTL:      uint32(cfg.MaxFilteredTTL.D().Seconds()),
		logQueries:  cfg.LogQueries == nil || *cfg.LogQueries,
		clients:     snap.Config().DNSClients(),
	}
	v.groups.limit = maxGroupSets
	v.catNames.limit = maxGroupSets
	v.rules.limit = maxGroupSets
	a4, _ := netip.ParseAddr(cfg.BlockPageIPv4)
	a6, _ := netip.ParseAddr(cfg.BlockPageIPv6)
	b4, b6 := a4.As4(), a6.As16()
	v.v4, v.v6 = b4[:], b6[:]
	if old != nil && slices.Equal(old.cfg.Upstreams, cfg.Upstreams) && old.cfg.UpstreamCA == cfg.UpstreamCA && old.cfg.Timeout == cfg.Timeout {
		v.up = old.up
	} else {
		up, err := newUpstreams(cfg.Upstreams, cfg.Timeout.D(), snap.Config().Path(cfg.UpstreamCA), s.m)
		if err != nil {
			return nil, err
		}
		v.up = up
	}
	if cfg.RateLimit > 0 {
		if old != nil && old.limit != nil && old.cfg.RateLimit == cfg.RateLimit {
			v.limit = old.limit
		} else {
			v.limit = newLimiter(cfg.RateLimit)
		}
	}
	names := snap.Categories()
	v.cats = make([]catInfo, len(names))
	for i, n := range names {
		v.cats[i] = catInfo{
			blocks:  s.m.blocks.WithLabelValues(n),
			block:   "blocked: " + n,
			warn:    "warning page: " + n,
			perm:    "needs staff permission: " + n,
			illegal: "illegal content: " + n,
		}
	}
	return v, nil
}

// groupInfo returns the cached facts about a set of groups.
func (v *view) groupInfo(set policy.Set) *groupInfo {
	if gi, ok := v.groups.get(set); ok {
		return gi
	}
	gi := &groupInfo{
		names:      v.snap.GroupNames(set),
		filtered:   v.snap.Filtered(set),
		safesearch: v.snap.SafeSearch(set),
	}
	v.groups.put(set, gi)
	return gi
}

// categoryNames names a decision's categories for the activity log; the
// slice is shared: never modify it.
func (v *view) categoryNames(d *policy.Decision) []string {
	if names, ok := v.catNames.get(d.Categories); ok {
		return names
	}
	names := v.snap.CategoryNames(d)
	v.catNames.put(d.Categories, names)
	return names
}

// rule names the policy rule that made a decision, for the activity log.
func (v *view) rule(d *policy.Decision) string {
	if d.Source == policy.SourceOverride {
		return v.snap.Rule(d) // names the override: not worth keeping
	}
	k := ruleKey{src: d.Source, cat: d.Category, cell: d.Cell, exc: d.Exception}
	if r, ok := v.rules.get(k); ok {
		return r
	}
	r := v.snap.Rule(d)
	v.rules.put(k, r)
	return r
}
