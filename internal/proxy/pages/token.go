package pages

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Form tokens. Every form on a page the filter shows carries a token:
// HMAC-SHA256 over the action, the client address, the user (if any), the
// address of the page it was shown for and an expiry, with the expiry in
// clear. A page on some other site cannot post a form in a pupil's name:
// it cannot read a token made for another page (browsers keep pages of
// different sites apart), and a token is good only for its own action,
// page, device and person, and only for TokenLife.

// TokenLife is how long a form on a shown page can be sent.
const TokenLife = 30 * time.Minute

// Why a form's token is refused.
var (
	ErrNoToken      = errors.New("pages: form without a token")
	ErrBadToken     = errors.New("pages: form token does not match")
	ErrExpiredToken = errors.New("pages: form token expired")
)

// tokenKeySize is the size of the key the store keeps (store.Secret).
const tokenKeySize = 32

// TokenKeyName is the store secret the form-token key is kept under.
const TokenKeyName = "blockpage-form-token"

// formToken signs what a form acts on for v until expiry.
func formToken(key []byte, action string, v Visitor, target string, expiry time.Time) string {
	exp := strconv.FormatInt(expiry.Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(key, action, v, target, exp))
}

// tokenMAC is the HMAC of the token's fields, each length-prefixed so that
// no two different sets of fields can read as the same.
func tokenMAC(key []byte, action string, v Visitor, target, exp string) []byte {
	m := hmac.New(sha256.New, key)
	for _, f := range []string{"schoolgate-form-1", action, v.Client.Unmap().String(), v.User, target, exp} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}

// checkFormToken verifies tok for action by v on target at now.
func checkFormToken(key []byte, tok, action string, v Visitor, target string, now time.Time) error {
	if tok == "" {
		return ErrNoToken
	}
	exp, sig, ok := strings.Cut(tok, ".")
	if !ok || len(exp) > 19 {
		return ErrBadToken
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, tokenMAC(key, action, v, target, exp)) {
		return ErrBadToken
	}
	// An expiry further off than a token's life was not made here.
	if at := time.Unix(unix, 0); !now.Before(at) || at.Sub(now) > TokenLife+time.Minute {
		return ErrExpiredToken
	}
	return nil
}

// token makes the token for a form shown to v now.
func (p *Pages) token(action string, v Visitor, target string) string {
	return formToken(p.key, action, v, target, p.o.Now().Add(TokenLife))
}
