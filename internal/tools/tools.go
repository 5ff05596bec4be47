//go:build tools

package tools

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/miekg/dns"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/argon2"
	_ "golang.org/x/net/idna"
	_ "modernc.org/sqlite"
)
