package console

import (
	"context"
	"crypto/subtle"
	"time"
)

// setupValidity is how long a set-up link works.
const setupValidity = time.Hour

// setupToken is the one-time set-up link's secret, in memory only: a
// restart makes a new one, and it works once.
type setupToken struct {
	hash  string
	until time.Time
}

// SetupLink returns the path of a one-time set-up link (valid an hour)
// when nobody can sign in to the console yet, or "" when someone can.
// The caller prints it on standard output, never into the log.
func (c *Console) SetupLink(ctx context.Context) (string, error) {
	ok, err := c.HasAccounts(ctx)
	if err != nil || ok {
		return "", err
	}
	tok := newSecret(24)
	c.setupMu.Lock()
	c.setup = setupToken{hash: hashID(tok), until: c.now().Add(setupValidity)}
	c.setupMu.Unlock()
	return "/setup?token=" + tok, nil
}

// setupValid says whether tok is the live set-up token.
func (c *Console) setupValid(tok string) bool {
	c.setupMu.Lock()
	defer c.setupMu.Unlock()
	return tok != "" && c.setup.hash != "" && c.now().Before(c.setup.until) &&
		subtle.ConstantTimeCompare([]byte(hashID(tok)), []byte(c.setup.hash)) == 1
}

// spendSetup uses the token up, if it is still the live one.
func (c *Console) spendSetup(tok string) bool {
	c.setupMu.Lock()
	defer c.setupMu.Unlock()
	if tok == "" || c.setup.hash == "" || !c.now().Before(c.setup.until) || subtle.ConstantTimeCompare([]byte(hashID(tok)), []byte(c.setup.hash)) != 1 {
		return false
	}
	c.setup = setupToken{}
	return true
}
