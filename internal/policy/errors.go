package policy

import (
	"errors"

	"schoolgate/internal/config"
)

// Sentinel errors.
var (
	ErrBadVerdict = errors.New("bad verdict")
	ErrBadTarget  = errors.New("bad target")
	// ErrInvalid wraps every error about a policy's meaning.
	ErrInvalid = config.ErrInvalid
)

func fieldErr(c *config.Config, line int, field, msg string) error {
	return &config.Error{File: displayName(c), Line: line, Field: field, Msg: msg}
}

func displayName(c *config.Config) string {
	if c.File == "" {
		return "policy"
	}
	return c.File
}
