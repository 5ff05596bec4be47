// Package activity is the log of what every client did: one Event per
// decision by every enforcement point, written asynchronously in batches so
// that a decision never waits on disk.
package activity

import (
	"net/netip"
	"time"
)

// Point is the enforcement point that decided.
type Point string

const (
	PointDNS   Point = "dns"
	PointProxy Point = "proxy"
)

// Event is one decision. Illegal-category events name the category, never
// the list entry (Match is empty for them).
type Event struct {
	Time       time.Time
	Client     netip.Addr
	User       string   // "" when unidentified
	Groups     []string // the client's groups when decided
	Host       string
	URL        string // full URL when known (proxy), else ""
	Categories []string
	Verdict    string // allow | warn | block
	Illegal    bool
	Rule       string // e.g. rules.gambling.others
	Point      Point
	Search     string // search terms seen in the request, if any
	// Action records what the user did on a page: "continue" (a warn
	// click-through), "request", "concern", "aua-accept", or "blockpage"
	// (the block-page listener showed a DNS-blocked name's page); "" for a
	// plain decision.
	Action string
	// Ref is the reference number shown on a block or warning page, so
	// that staff can find this event from what a pupil reads out.
	Ref string
	// Site is the school the event happened in (the node's site id;
	// serve stamps it).
	Site string
	// ID is the event's unique id; the Writer gives one to an event
	// queued without.
	ID EventID
}

// Sink takes events. Log must never block: an overloaded sink drops and
// counts.
type Sink interface {
	Log(Event)
}

// Discard is a Sink that drops everything (per-query logging turned off).
type Discard struct{}

// Log implements Sink.
func (Discard) Log(Event) {}
