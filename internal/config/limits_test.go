package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLimits(t *testing.T) {
	const head = "site: {name: X}\n"
	tests := []struct {
		name, yaml string
		want       Limits
		err        string // a part of the error; empty: accepted
	}{
		{"left out", head, Limits{}, ""},
		{"both", head + "limits: {per_client: 64, total: 4096}\n", Limits{PerClient: 64, Total: 4096}, ""},
		{"null", head + "limits:\n  per_client: ~\n", Limits{}, ""},
		{"zero", head + "limits:\n  per_client: 0\n", Limits{}, "policy.yaml:3: limits.per_client: \"0\" is not a number of connections from 1 to 16777216"},
		{"negative", head + "limits:\n  total: -5\n", Limits{}, "policy.yaml:3: limits.total: \"-5\" is not a number"},
		{"not a number", head + "limits:\n  total: lots\n", Limits{}, "policy.yaml:3: limits.total: \"lots\""},
		{"too big", head + "limits:\n  total: 20000000\n", Limits{}, "limits.total: \"20000000\""},
		{"a list", head + "limits:\n  total: [1]\n", Limits{}, "policy.yaml:3: limits.total: expected a number of connections"},
		{"per client over total", head + "limits: {per_client: 300, total: 200}\n", Limits{}, "policy.yaml: invalid policy: limits.per_client: 300 is more than limits.total (200)"},
		{"unknown key", head + "limits:\n  per_ip: 5\n", Limits{}, "policy.yaml:3: limits.per_ip: unknown field (known: per_client, total)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("policy.yaml", "/tmp/policy.yaml", []byte(tc.yaml))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Limits != tc.want {
					t.Fatalf("limits = %+v, want %+v", c.Limits, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %+v; want an error containing %q", c.Limits, tc.err)
			}
			if !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %q (ErrInvalid: %v)\n  want one containing %q", err, errors.Is(err, ErrInvalid), tc.err)
			}
		})
	}
}
