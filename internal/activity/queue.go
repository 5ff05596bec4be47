package activity

import "sync"

// queue is the Writer's bounded FIFO of events. Events live in fixed-size
// chunks allocated when the backlog needs them and recycled once written,
// so the queue's memory follows the backlog it actually holds (an idle
// writer holds none) while its bound still counts events. push never
// waits on anything but the mutex, which is only ever held for a few
// assignments: no I/O, no copying of more than one event.
type queue struct {
	mu     sync.Mutex
	tail   []Event   // the chunk being filled; nil when there is none
	full   [][]Event // filled chunks, oldest first
	n      int       // events held, tail and full chunks together
	closed bool
	// spare holds emptied chunks for reuse, at most maxSpare of them.
	spare [][]Event

	limit     int // most events held
	chunkSize int
	maxSpare  int
	// ready is signalled, without waiting, when a chunk fills.
	ready chan struct{}
}

func newQueue(limit, chunkSize, maxSpare int) *queue {
	return &queue{limit: limit, chunkSize: chunkSize, maxSpare: maxSpare, ready: make(chan struct{}, 1)}
}

// push appends e; it reports false, holding nothing, when the queue is
// full or closed.
func (q *queue) push(e *Event) bool {
	q.mu.Lock()
	if q.closed || q.n >= q.limit {
		q.mu.Unlock()
		return false
	}
	if q.tail == nil {
		if k := len(q.spare); k > 0 {
			q.tail, q.spare[k-1] = q.spare[k-1], nil
			q.spare = q.spare[:k-1]
		} else {
			q.tail = make([]Event, 0, q.chunkSize)
		}
	}
	q.tail = append(q.tail, *e)
	q.n++
	filled := len(q.tail) == cap(q.tail)
	if filled {
		q.full = append(q.full, q.tail)
		q.tail = nil
	}
	q.mu.Unlock()
	if filled {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return true
}

// grab detaches the oldest chunks holding at most room events in all and
// appends them to into; with partial it takes the chunk being filled too,
// once the full ones are gone. The events leave the queue's count.
func (q *queue) grab(room int, partial bool, into [][]Event) [][]Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := 0
	for k < len(q.full) && len(q.full[k]) <= room {
		room -= len(q.full[k])
		q.n -= len(q.full[k])
		into = append(into, q.full[k])
		k++
	}
	if k > 0 {
		rest := copy(q.full, q.full[k:])
		clear(q.full[rest:])
		q.full = q.full[:rest]
	}
	if partial && len(q.full) == 0 && len(q.tail) > 0 && len(q.tail) <= room {
		q.n -= len(q.tail)
		into = append(into, q.tail)
		q.tail = nil
	}
	return into
}

// recycle takes back chunks whose events have been copied out. Their
// contents are cleared first so that written events' strings can be
// collected.
func (q *queue) recycle(chunks [][]Event) {
	for _, c := range chunks {
		clear(c)
	}
	q.mu.Lock()
	for _, c := range chunks {
		if len(q.spare) < q.maxSpare {
			q.spare = append(q.spare, c[:0])
		}
	}
	q.mu.Unlock()
}

// trim lets go of the spare chunks (the writer calls it when idle).
func (q *queue) trim() {
	q.mu.Lock()
	clear(q.spare)
	q.spare = q.spare[:0]
	q.mu.Unlock()
}

// close makes every later push fail; what is held can still be grabbed.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// len is the number of events held.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
