package config

import (
	"errors"
	"strings"
	"testing"
)

// TestBlockPageURL: the forms' address is public_url when set, else the
// block page listener's (dns.blockpage_ipv4 when it listens everywhere).
func TestBlockPageURL(t *testing.T) {
	for _, tc := range []struct {
		yaml, bound, want string
	}{
		{"", "", "http://127.0.0.1/"},
		// No block-page listener: the proxy takes the forms.
		{"dns: {blockpage_ipv4: 10.0.0.1}\nproxy: {listen: '0.0.0.0:3128'}\n", "", "http://10.0.0.1:3128/"},
		{"proxy: {listen: '0.0.0.0:3128', public_address: 'proxy.school.test:3128'}\n", "", "http://proxy.school.test:3128/"},
		{"proxy: {listen: '127.0.0.1:0'}\n", "127.0.0.1:3999", "http://127.0.0.1:3999/"},
		{"dns: {blockpage_ipv4: 10.0.0.1}\nblockpage: {listen: '0.0.0.0:80'}\n", "", "http://10.0.0.1/"},
		{"dns: {blockpage_ipv4: 10.0.0.1}\nblockpage: {listen: ':8080'}\n", "", "http://10.0.0.1:8080/"},
		{"dns: {blockpage_ipv4: 10.0.0.1}\nblockpage: {listen: '10.0.0.2:80'}\n", "", "http://10.0.0.2/"},
		{"blockpage: {listen: '127.0.0.1:0'}\n", "127.0.0.1:41234", "http://127.0.0.1:41234/"},
		{"blockpage: {listen: '127.0.0.1:0', public_url: 'https://filter.school.test/block'}\n", "127.0.0.1:41234", "https://filter.school.test/block/"},
	} {
		c, err := Parse("policy.yaml", "/tmp/policy.yaml", []byte("site: {name: X}\n"+tc.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tc.yaml, err)
		}
		if got := c.BlockPageURL(tc.bound, tc.bound).String(); got != tc.want {
			t.Errorf("%q bound %q: %s, want %s", tc.yaml, tc.bound, got, tc.want)
		}
	}
	c, _ := Parse("policy.yaml", "/tmp/policy.yaml", []byte("site: {name: X}\n"))
	if rl := c.BlockPage.RateLimit; rl.Requests != 10 || rl.Concerns != 10 || rl.Window.D().Minutes() != 10 {
		t.Errorf("default rate limit %+v", rl)
	}
	if r := c.Retention; r.PendingRequests.D().Hours() != 30*24 || r.Concerns.D().Hours() != 365*24 {
		t.Errorf("default retention %+v", r)
	}
	for _, bad := range []string{
		"blockpage: {public_url: 'ftp://x/'}",
		"blockpage: {public_url: '/relative'}",
		"blockpage: {public_url: 'http://x/?a=b'}",
		"blockpage: {rate_limit: {requests: -1}}",
	} {
		_, err := Parse("policy.yaml", "/tmp/policy.yaml", []byte(bad))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "blockpage.") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
