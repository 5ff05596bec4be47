package alerts

import "sync"

// chunkItems is the events a queue chunk holds (about 56 KB).
const chunkItems = 256

// queue is the engine's bounded FIFO of events, in chunks taken as the
// backlog grows and given back once judged, so that an idle engine holds
// (and the collector scans) next to nothing, while the bound still
// counts events. push never waits on anything but a mutex held for a few
// assignments.
type queue struct {
	mu    sync.Mutex
	cur   []item      // the chunk being filled
	n     int         // events held, judged chunks not yet given back included
	limit int         // most events held
	full  chan []item // filled chunks, oldest first
	spare [][]item    // judged chunks for reuse (a few)
}

func newQueue(limit int) *queue {
	return &queue{limit: limit, full: make(chan []item, limit/chunkItems+1)}
}

// push appends it; false when the queue is full (the event is not held).
func (q *queue) push(it *item) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n >= q.limit {
		return false
	}
	if len(q.cur) == cap(q.cur) && q.cur != nil {
		select {
		case q.full <- q.cur:
			q.cur = nil
		default:
			return false
		}
	}
	if q.cur == nil {
		if k := len(q.spare); k > 0 {
			q.cur, q.spare = q.spare[k-1], q.spare[:k-1]
		} else {
			q.cur = make([]item, 0, chunkItems)
		}
	}
	q.cur = append(q.cur, *it)
	q.n++
	return true
}

// partial takes the chunk being filled, if it holds anything.
func (q *queue) partial() []item {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.cur
	if len(c) == 0 {
		return nil
	}
	q.cur = nil
	return c
}

// recycle gives back a judged chunk, cleared so that its events' strings
// can be collected, and frees its room.
func (q *queue) recycle(c []item) {
	k := len(c)
	clear(c)
	q.mu.Lock()
	q.n -= k
	if len(q.spare) < 4 {
		q.spare = append(q.spare, c[:0])
	}
	q.mu.Unlock()
}
