package activity

import (
	"bytes"
	"testing"
	"time"
)

func TestEventIDs(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	seen := make(map[EventID]bool)
	var prev EventID
	for i := range 100_000 {
		id := NewEventID(at.Add(time.Duration(i) * time.Microsecond))
		if seen[id] || id.IsZero() {
			t.Fatalf("id %s made twice (or zero)", id)
		}
		seen[id] = true
		if i > 0 && bytes.Compare(prev[:8], id[:8]) >= 0 {
			t.Fatalf("ids do not sort by time: %s then %s", prev, id)
		}
		prev = id
	}
	text, _ := prev.MarshalText()
	var back EventID
	if err := back.UnmarshalText(text); err != nil || back != prev {
		t.Fatalf("round trip %s: %s %v", text, back, err)
	}
	if err := back.UnmarshalText([]byte("abc")); err == nil {
		t.Fatal("a short id accepted")
	}
}

// BenchmarkNewEventID is what an id adds to each Log call.
func BenchmarkNewEventID(b *testing.B) {
	at := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = NewEventID(at)
		}
	})
}
