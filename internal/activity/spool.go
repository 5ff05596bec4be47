package activity

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The spool keeps the batches the database could not take, in files under
// the data directory, until the writer replays them. It is a folder of
// segment files (NNNNNNNNNNNNNNNN.spool, oldest first), each a run of
// records:
//
//	length uint32 | events uint32 | crc32c(payload) uint32 | payload
//
// where the payload is the batch as a JSON array of Events (every field,
// whichever are added later). Appends go to the newest segment; replay
// reads the oldest and deletes a segment once every record in it is
// stored. When the spool would outgrow its bound the oldest segments go
// first, their events counted as dropped. A record cut short (the process
// died while appending) ends its segment: what precedes it is replayed.
// Events carry their ids, so a record replayed twice (stored, then the
// process died before the segment was deleted) is stored once.

// spoolHeader is a record's header size.
const spoolHeader = 12

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errSpoolCorrupt marks a record that cannot be read back.
var errSpoolCorrupt = errors.New("activity spool: corrupt record")

// segment is one spool file.
type segment struct {
	seq    uint64
	size   int64 // bytes of whole records
	events int64 // events not yet replayed
	read   int64 // offset of the first record not yet replayed
	peek   int64 // offset of the next record to hand out (read ≤ peek)
}

// spool is safe for concurrent use: the writing goroutines append, the
// replaying one reads.
type spool struct {
	dir    string
	max    int64 // most bytes kept
	segMax int64 // a segment is closed past this size

	mu     sync.Mutex
	segs   []*segment // oldest first
	cur    *os.File   // the newest segment, open for appending; nil when closed
	bytes  int64      // sum of the segments' sizes
	events int64      // events waiting to be replayed
	buf    bytes.Buffer
}

// openSpool opens (making it) the spool folder dir, bounded to limit bytes,
// and finds the segments a previous process left.
func openSpool(dir string, limit int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("activity spool: %w", err)
	}
	sp := &spool{dir: dir, max: limit, segMax: min(max(limit/8, 64<<10), 64<<20)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("activity spool: %w", err)
	}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".spool")
		if !ok || e.IsDir() {
			continue
		}
		seq, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		seg := &segment{seq: seq}
		if err := sp.scan(seg); err != nil {
			return nil, err
		}
		if seg.size == 0 {
			os.Remove(sp.path(seq))
			continue
		}
		sp.segs = append(sp.segs, seg)
		sp.bytes += seg.size
		sp.events += seg.events
	}
	slices.SortFunc(sp.segs, func(a, b *segment) int { return cmpUint(a.seq, b.seq) })
	return sp, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (sp *spool) path(seq uint64) string {
	return filepath.Join(sp.dir, fmt.Sprintf("%016d.spool", seq))
}

// scan counts a left segment's whole records by their headers; a record
// cut short ends it.
func (sp *spool) scan(seg *segment) error {
	f, err := os.Open(sp.path(seg.seq))
	if err != nil {
		return fmt.Errorf("activity spool: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("activity spool: %w", err)
	}
	var h [spoolHeader]byte
	for {
		if _, err := f.ReadAt(h[:], seg.size); err != nil {
			return nil // the end, or a header cut short
		}
		n := int64(binary.BigEndian.Uint32(h[0:4]))
		if seg.size+spoolHeader+n > st.Size() {
			return nil
		}
		seg.size += spoolHeader + n
		seg.events += int64(binary.BigEndian.Uint32(h[4:8]))
	}
}

// append writes a batch as one record, dropping the oldest segments first
// when the spool would outgrow its bound; it returns the events dropped.
func (sp *spool) append(batch []Event) (dropped int64, err error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.buf.Reset()
	sp.buf.Write(make([]byte, spoolHeader))
	if err := json.NewEncoder(&sp.buf).Encode(batch); err != nil {
		return 0, fmt.Errorf("activity spool: %w", err)
	}
	rec := sp.buf.Bytes()
	payload := rec[spoolHeader:]
	binary.BigEndian.PutUint32(rec[0:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(rec[4:8], uint32(len(batch)))
	binary.BigEndian.PutUint32(rec[8:12], crc32.Checksum(payload, crcTable))
	size := int64(len(rec))
	for sp.bytes+size > sp.max && len(sp.segs) > 0 {
		dropped += sp.dropOldest()
	}
	if size > sp.max {
		return dropped + int64(len(batch)), nil
	}
	if sp.cur == nil || sp.segs[len(sp.segs)-1].size+size > sp.segMax {
		if err := sp.rotate(); err != nil {
			return dropped, err
		}
	}
	seg := sp.segs[len(sp.segs)-1]
	if _, err := sp.cur.Write(rec); err != nil {
		// A partial record is ignored when the segment is read; the
		// next append starts a new segment after it.
		sp.closeCur()
		return dropped, fmt.Errorf("activity spool: %w", err)
	}
	if err := sp.cur.Sync(); err != nil {
		sp.closeCur()
		return dropped, fmt.Errorf("activity spool: %w", err)
	}
	seg.size += size
	seg.events += int64(len(batch))
	sp.bytes += size
	sp.events += int64(len(batch))
	return dropped, nil
}

// rotate closes the segment being appended to and opens a new one.
func (sp *spool) rotate() error {
	sp.closeCur()
	seq := uint64(1)
	if n := len(sp.segs); n > 0 {
		seq = sp.segs[n-1].seq + 1
	}
	f, err := os.OpenFile(sp.path(seq), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("activity spool: %w", err)
	}
	sp.cur = f
	sp.segs = append(sp.segs, &segment{seq: seq})
	return nil
}

func (sp *spool) closeCur() {
	if sp.cur != nil {
		sp.cur.Close()
		sp.cur = nil
	}
}

// dropOldest deletes the oldest segment and returns its events not yet
// replayed.
func (sp *spool) dropOldest() int64 {
	seg := sp.segs[0]
	if len(sp.segs) == 1 {
		sp.closeCur()
	}
	sp.remove(seg)
	return seg.events
}

// remove deletes a segment (the oldest) and forgets it.
func (sp *spool) remove(seg *segment) {
	os.Remove(sp.path(seg.seq))
	sp.segs = slices.DeleteFunc(sp.segs, func(s *segment) bool { return s == seg })
	sp.bytes -= seg.size
	sp.events -= seg.events
}

// spoolMark says which record a replayed batch came from.
type spoolMark struct {
	seq       uint64
	from, end int64
	events    int64
}

// next reads the oldest record not yet handed out since the last rewind;
// ok is false when there is none. A segment still being appended to is
// closed first, so that the reader never races a write. A corrupt record
// ends its segment, whose events not yet replayed are dropped and counted
// in lost.
func (sp *spool) next() (batch []Event, m spoolMark, ok bool, lost int64, err error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for i := 0; i < len(sp.segs); i++ {
		seg := sp.segs[i]
		if seg.peek >= seg.size {
			if seg.read >= seg.size && !sp.appending(seg) {
				sp.remove(seg)
				i--
			}
			continue
		}
		if sp.appending(seg) {
			sp.closeCur()
		}
		batch, end, err := sp.read(seg)
		if err != nil {
			lost += seg.events
			sp.remove(seg)
			i--
			if errors.Is(err, errSpoolCorrupt) {
				continue
			}
			return nil, m, false, lost, err
		}
		m = spoolMark{seq: seg.seq, from: seg.peek, end: end, events: int64(len(batch))}
		seg.peek = end
		return batch, m, true, lost, nil
	}
	return nil, m, false, lost, nil
}

// appending reports whether seg is the segment open for appending.
func (sp *spool) appending(seg *segment) bool {
	return sp.cur != nil && seg == sp.segs[len(sp.segs)-1]
}

// rewind hands out again the records handed out but not marked done (their
// write failed).
func (sp *spool) rewind() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for _, seg := range sp.segs {
		seg.peek = seg.read
	}
}

// read decodes the record at seg.peek.
func (sp *spool) read(seg *segment) ([]Event, int64, error) {
	f, err := os.Open(sp.path(seg.seq))
	if err != nil {
		return nil, 0, fmt.Errorf("activity spool: %w", err)
	}
	defer f.Close()
	var h [spoolHeader]byte
	if _, err := f.ReadAt(h[:], seg.peek); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errSpoolCorrupt, err)
	}
	n := int64(binary.BigEndian.Uint32(h[0:4]))
	payload := make([]byte, n)
	if _, err := f.ReadAt(payload, seg.peek+spoolHeader); err != nil && !(errors.Is(err, io.EOF) && int64(len(payload)) == n) {
		return nil, 0, fmt.Errorf("%w: %w", errSpoolCorrupt, err)
	}
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(h[8:12]) {
		return nil, 0, fmt.Errorf("%w: checksum in %s at %d", errSpoolCorrupt, sp.path(seg.seq), seg.peek)
	}
	var batch []Event
	if err := json.Unmarshal(payload, &batch); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", errSpoolCorrupt, err)
	}
	return batch, seg.peek + spoolHeader + n, nil
}

// done marks a record handed out by next as stored, records being marked
// in the order handed out: the segment moves on, and goes once it has all
// been replayed. A segment dropped meanwhile (the spool was full) is left
// alone.
func (sp *spool) done(m spoolMark) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for _, seg := range sp.segs {
		if seg.seq != m.seq || seg.read != m.from {
			continue
		}
		seg.read = m.end
		seg.peek = max(seg.peek, seg.read)
		seg.events -= m.events
		sp.events -= m.events
		if seg.read >= seg.size && !sp.appending(seg) {
			sp.remove(seg)
		}
		return
	}
}

// stats are the bytes on disk and the events waiting.
func (sp *spool) stats() (bytes, events int64) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.bytes, sp.events
}

// close closes the segment being appended to; the files stay for the next
// process.
func (sp *spool) close() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.closeCur()
}
