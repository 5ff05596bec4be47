package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const alertsDelivery = `alerts:
  console_url: https://console.school.example
  smtp: {address: "127.0.0.1:2525", from: schoolgate@school.example, username: schoolgate, password_env: SG_E2E_SMTP_PASSWORD}
  contacts:
    - {name: Amy Shah, email: dsl@school.example, severities: [4, 5]}
`

// TestAlertDeliveryStartup: serve refuses to start when the SMTP password
// the policy names is not in the environment, rather than failing at the
// first alert; with it, serve starts and exports the delivery counters.
func TestAlertDeliveryStartup(t *testing.T) {
	bin := dnsBinary(t)
	dir := t.TempDir()
	for name, body := range dnsLists {
		dnsWrite(t, dir, name, body)
	}
	dnsWrite(t, dir, "policy.yaml", strings.ReplaceAll(dnsPolicyBase, "UPSTREAM", `"127.0.0.1:9"`)+alertsDelivery)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	t.Setenv("SG_E2E_SMTP_PASSWORD", "")
	out, err := exec.CommandContext(ctx, bin, "serve", "-c", filepath.Join(dir, "policy.yaml"), "--data", filepath.Join(dir, "data")).CombinedOutput()
	if err == nil || ctx.Err() != nil || !strings.Contains(string(out), "environment variable SG_E2E_SMTP_PASSWORD is empty or unset") {
		t.Fatalf("serve without the SMTP password: %v\n%s", err, out)
	}

	t.Setenv("SG_E2E_SMTP_PASSWORD", "pw-e2e-7f3a")
	in := dnsStart(t, "", "", func(p string) string { return p + alertsDelivery })
	body := fetchMetrics(t, in.admin)
	for _, series := range []string{`schoolgate_alert_notifications_sent_total{channel="email"}`, `schoolgate_alert_notifications_failed_total{channel="webhook"}`} {
		if v, ok := metricValue(body, series); !ok || v != 0 {
			t.Errorf("%s = %v (present: %v)", series, v, ok)
		}
	}
	if strings.Contains(in.logText(), "pw-e2e-7f3a") {
		t.Errorf("the password reached the log:\n%s", in.logText())
	}
}
