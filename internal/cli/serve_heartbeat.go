package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"

	"schoolgate/internal/store"
)

// heartbeatEvery is how often a node records its health in the nodes
// table (store.NodeStaleAfter marks it stale after a minute).
const heartbeatEvery = 10 * time.Second

// The series a heartbeat reads from the node's own registry. Parts built
// elsewhere report through them: the activity spool sets
// schoolgate_activity_spool_bytes, policy versions from the database set
// schoolgate_policy_version.
var (
	qpsSeries     = []string{"schoolgate_dns_queries_total", "schoolgate_proxy_requests_total"}
	queueSeries   = "schoolgate_activity_queue_length"
	spoolSeries   = "schoolgate_activity_spool_bytes"
	versionSeries = "schoolgate_policy_version"
)

// nodeName is --node-name, else the host name and the first listen
// address (DNS, else the proxy).
func (d *serveDeps) nodeNameOrDefault() string {
	if d.nodeName != "" {
		return d.nodeName
	}
	host, _ := os.Hostname()
	cfg := d.engine.Snapshot().Config()
	addr := cfg.Proxy.Listen
	if len(cfg.DNS.Listen) > 0 {
		addr = cfg.DNS.Listen[0]
	}
	if addr == "" {
		return host
	}
	return host + " " + addr
}

// runHeartbeat writes the node's health every heartbeatEvery while the
// database answers, until ctx ends.
func (d *serveDeps) runHeartbeat(ctx context.Context) {
	st := d.st.store
	name, started := d.nodeNameOrDefault(), d.now()
	site := d.nodeSite()
	var lastCount float64
	var lastAt time.Time
	lastError := ""
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		if h := st.Health(); !h.Reachable {
			lastError = h.Since.UTC().Format(time.RFC3339) + " " + h.Err
		} else {
			m := d.gatherSeries()
			now := d.now()
			count := m[qpsSeries[0]] + m[qpsSeries[1]]
			qps := 0.0
			if !lastAt.IsZero() && now.After(lastAt) && count >= lastCount {
				qps = (count - lastCount) / now.Sub(lastAt).Seconds()
			}
			lastCount, lastAt = count, now
			n := store.NodeHealth{Site: site, Name: name, PolicyHash: d.policyHash(), ListsAge: d.listsAge(now), QPS: qps,
				QueueDepth: int64(m[queueSeries]), SpoolBytes: int64(m[spoolSeries]), LastError: lastError, Started: started, LastSeen: now}
			if v, ok := m[versionSeries]; ok && v > 0 {
				n.PolicyVersion = strconv.FormatInt(int64(v), 10)
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := st.Heartbeat(wctx, n); err != nil && ctx.Err() == nil {
				d.log.Warn("node heartbeat not recorded", "err", err)
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// gatherSeries sums each series the heartbeat reads over its labels.
func (d *serveDeps) gatherSeries() map[string]float64 {
	out := map[string]float64{}
	mfs, err := d.registry.Gather()
	if err != nil && len(mfs) == 0 {
		return out
	}
	want := map[string]bool{queueSeries: true, spoolSeries: true, versionSeries: true}
	for _, s := range qpsSeries {
		want[s] = true
	}
	for _, mf := range mfs {
		if !want[mf.GetName()] {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[mf.GetName()] += metricNumber(m)
		}
	}
	return out
}

func metricNumber(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// policyHash is the SHA-256 of the policy file in force.
func (d *serveDeps) policyHash() string {
	b, err := os.ReadFile(d.configPath)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// listsAge is the age of the oldest list file loaded.
func (d *serveDeps) listsAge(now time.Time) time.Duration {
	var oldest time.Time
	for _, s := range d.engine.Snapshot().Sources() {
		if s.File == "" {
			continue
		}
		if fi, err := os.Stat(s.File); err == nil && (oldest.IsZero() || fi.ModTime().Before(oldest)) {
			oldest = fi.ModTime()
		}
	}
	if oldest.IsZero() || now.Before(oldest) {
		return 0
	}
	return now.Sub(oldest).Truncate(time.Second)
}
