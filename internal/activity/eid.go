package activity

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"
)

// EventID is an event's unique id (the activity table's eid): made when the
// event is queued, it goes with the event into the database or the spool,
// so that a batch written twice (a replayed spool, a commit whose answer
// was lost) is stored once. Its first 8 bytes are the event's time in
// microseconds, big-endian, its last 8 random: ids sort roughly by time, so
// a unique index on them grows at its right-hand edge like the time index
// instead of at random places (which the blocks of schema version 2 were
// made to avoid), and two nodes' ids collide only if 64 random bits match
// within the same microsecond.
type EventID [16]byte

// NewEventID makes an id for an event at t. It takes no lock and makes no
// system call (math/rand/v2's generator is per thread).
func NewEventID(t time.Time) EventID {
	var id EventID
	binary.BigEndian.PutUint64(id[:8], uint64(t.UnixMicro()))
	binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	return id
}

// IsZero reports whether the id was never set.
func (id EventID) IsZero() bool { return id == EventID{} }

// String is the id in hex.
func (id EventID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText implements encoding.TextMarshaler (hex).
func (id EventID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *EventID) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(id) {
		return fmt.Errorf("activity: event id %q: want %d hex digits", b, 2*len(id))
	}
	_, err := hex.Decode(id[:], b)
	if err != nil {
		return fmt.Errorf("activity: event id %q: %w", b, err)
	}
	return nil
}
