package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"schoolgate/internal/config"
)

// The webhook headers. The signature is HMAC-SHA256, under the webhook's
// secret, of the timestamp, a full stop and the body: a receiver
// recomputes it, compares in constant time and refuses a timestamp more
// than a few minutes old, so a captured post cannot be replayed.
const (
	HeaderSignature = "X-Schoolgate-Signature" // "sha256=" and the hex digest
	HeaderTimestamp = "X-Schoolgate-Timestamp" // Unix seconds
)

// webhook is one alerts.webhooks entry, with its secret read.
type webhook struct {
	name, url  string
	secret     []byte
	severities [6]bool
	all        bool // no severities given: every one
	groups     []string
}

func newWebhook(c *config.Config, w *config.AlertWebhook, opts Options) (*webhook, error) {
	field := fmt.Sprintf("alerts.webhooks %s", w.Name)
	secret, err := readSecret(c, opts, w.SecretEnv, w.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("%s (line %d): %w", field, w.Line, err)
	}
	h := &webhook{name: w.Name, url: w.URL, secret: []byte(secret), groups: w.Groups, all: len(w.Severities) == 0}
	for _, s := range w.Severities {
		if s >= 1 && s <= 5 {
			h.severities[s] = true
		}
	}
	return h, nil
}

// readSecret reads a password or secret from the environment variable or
// the file (relative to the policy file), trimmed; empty is an error.
func readSecret(c *config.Config, opts Options, env, file string) (string, error) {
	var v string
	switch {
	case env != "":
		getenv := opts.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		if v = strings.TrimSpace(getenv(env)); v == "" {
			return "", fmt.Errorf("%w: environment variable %s is empty or unset", ErrSecret, env)
		}
	case file != "":
		b, err := os.ReadFile(c.Path(file))
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrSecret, err)
		}
		if v = strings.TrimSpace(string(b)); v == "" {
			return "", fmt.Errorf("%w: %s is empty", ErrSecret, c.Path(file))
		}
	}
	return v, nil
}

func (w *webhook) takes(a Alert) bool {
	if !w.all && (a.Severity < 1 || a.Severity > 5 || !w.severities[a.Severity]) {
		return false
	}
	return len(w.groups) == 0 || slices.Contains(w.groups, a.Group)
}

// Payload is the webhook's JSON body: nothing about the child but the
// group, no term, no site visited.
type Payload struct {
	ID       int64  `json:"id"`
	Severity int    `json:"severity"`
	Title    string `json:"title"`
	Group    string `json:"group"`
	At       string `json:"at"` // RFC 3339, site time
	Link     string `json:"link"`
	// Escalation is the escalation step (absent on the first notice).
	Escalation int `json:"escalation,omitempty"`
}

func (r *routes) payload(a Alert, step int) []byte {
	b, _ := json.Marshal(Payload{ID: a.ID, Severity: a.Severity, Title: clean(a.Title), Group: clean(a.Group),
		At: a.At.In(r.loc).Format(time.RFC3339), Link: r.link(a.ID), Escalation: step})
	return b
}

// Sign is the signature header's value for a body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// errPermanent marks an answer not worth retrying.
type errPermanent struct{ error }

// post sends the body, signed afresh each try, retrying failures and 5xx,
// 408 and 429 answers (a redirect is not followed: it fails) with exponential back-off and jitter, at most
// opts.Attempts times.
func (w *webhook) post(ctx context.Context, body []byte, opts Options) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = w.try(ctx, body, opts); err == nil {
			return nil
		}
		if errors.As(err, new(errPermanent)) || attempt >= opts.Attempts {
			return fmt.Errorf("webhook %s: %d attempts: %w", w.name, attempt, err)
		}
		wait := backoff(attempt, opts.RetryBase, opts.RetryMax)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("webhook %s: %w (last: %w)", w.name, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// backoff is the wait after the attempt'th failure: base doubled each
// time, capped at max, less a random part of up to half ("equal jitter")
// so that receivers coming back are not hit by every sender at once.
func backoff(attempt int, base, max time.Duration) time.Duration {
	d := base << min(attempt-1, 30)
	if d > max || d <= 0 {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

func (w *webhook) try(ctx context.Context, body []byte, opts Options) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return errPermanent{err}
	}
	ts := opts.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Schoolgate")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.secret, ts, body))
	resp, err := opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("answered %s", resp.Status)
	}
	return errPermanent{fmt.Errorf("answered %s", resp.Status)}
}
