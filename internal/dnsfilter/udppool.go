package dnsfilter

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// udpPool sends the queries for one UDP upstream over a small, changing
// set of sockets instead of a new socket per query (a socket, a connect,
// a poller registration and a close were over half the cost of a cache
// miss). The defences against spoofed answers stay:
//
//   - every socket is connected to the upstream, so the kernel delivers
//     only datagrams from the upstream's address and port;
//   - every socket has its own ephemeral port, chosen at random by the
//     kernel, and is replaced after poolSockUses queries or poolSockAge,
//     so the ports in use keep changing (as Unbound's outgoing range,
//     amortised: a fresh port per a few hundred queries, not per query);
//   - query IDs come from a ChaCha8 stream seeded from crypto/rand;
//   - an answer is taken only when its ID is one the socket is waiting
//     for and its question is that query's question (name compared
//     without regard to case, type and class exactly); anything else is
//     counted and dropped, and the query keeps waiting for the real one.
//
// One goroutine per socket reads the answers and hands each to the
// goroutine that asked.
type udpPool struct {
	addr     string // host:port, resolved at each socket's dial
	slots    [poolSockets]atomic.Pointer[udpSock]
	next     atomic.Uint32
	mu       sync.Mutex // opening and retiring sockets
	closed   bool
	uses     int           // queries a socket sends before it is replaced
	age      time.Duration // and how long it is used at most
	unwanted atomic.Int64  // answers dropped: unknown ID, wrong question
}

const (
	// poolSockets is how many sockets are in use at once for one upstream.
	poolSockets = 16
	// poolSockUses and poolSockAge bound one socket's (one port's) life.
	poolSockUses = 256
	poolSockAge  = 30 * time.Second
	// maxUDPAnswer is the read buffer: the largest datagram there is.
	maxUDPAnswer = 65535
)

// errPoolClosed is returned once the upstreams were replaced or the
// resolver stopped.
var errPoolClosed = errors.New("upstream socket pool closed")

func newUDPPool(addr string) *udpPool {
	return &udpPool{addr: addr, uses: poolSockUses, age: poolSockAge}
}

// udpSock is one connected socket and the queries waiting on it.
type udpSock struct {
	conn    *net.UDPConn
	born    time.Time
	mu      sync.Mutex
	ids     *rand.ChaCha8
	pending map[uint16]*udpWait
	sent    atomic.Int32 // queries sent on it
	retired atomic.Bool  // replaced: closed once nothing waits on it
	closed  bool
}

// udpWait is one query waiting for its answer: its question (for
// matching) and where the reader puts the answer.
type udpWait struct {
	out  []byte // the packed query; question is out[headerLen:qend]
	qend int
	done chan error // nil: the answer is in in
	in   []byte
}

var waitPool = sync.Pool{New: func() any {
	return &udpWait{out: make([]byte, 0, 512), done: make(chan error, 1)}
}}

// exchange sends m (its ID is replaced) and waits for the answer or ctx.
// The answer is returned in wire form, the caller's to keep; its ID and
// question are m's.
func (p *udpPool) exchange(ctx context.Context, m *dns.Msg) ([]byte, error) {
	w := waitPool.Get().(*udpWait)
	out, ok := packQuery(w.out[:0], m)
	if !ok {
		var err error
		if out, err = m.PackBuffer(w.out[:cap(w.out)]); err != nil {
			return nil, err
		}
	}
	w.out = out
	if w.qend = skipName(out, headerLen) + 4; w.qend < headerLen+5 || w.qend > len(out) {
		return nil, fmt.Errorf("%w: cannot pack the question", ErrMalformed)
	}
	s, err := p.sock(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.register(w)
	if err != nil {
		return nil, err
	}
	m.Id = id
	binary.BigEndian.PutUint16(out, id)
	if _, err := s.conn.Write(out); err != nil {
		s.cancel(id, w)
		return nil, err
	}
	select {
	case err = <-w.done:
	case <-ctx.Done():
		if s.cancel(id, w) {
			// Not answered: nobody else holds w, it can be reused.
			waitPool.Put(w)
			return nil, ctx.Err()
		}
		err = <-w.done // the reader got there first
	}
	if err != nil {
		return nil, err
	}
	in := w.in
	w.in = nil
	waitPool.Put(w)
	return in, nil
}

// sock returns the socket for the next query, replacing it first if it
// has sent its share or is too old.
func (p *udpPool) sock(ctx context.Context) (*udpSock, error) {
	i := p.next.Add(1) % poolSockets
	s := p.slots[i].Load()
	if s != nil && !s.due(p.uses, p.age) {
		return s, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPoolClosed
	}
	if s2 := p.slots[i].Load(); s2 != s { // replaced meanwhile
		return s2, nil
	}
	ns, err := p.open(ctx)
	if err != nil {
		if s != nil {
			return s, nil // keep the old port rather than fail the query
		}
		return nil, err
	}
	p.slots[i].Store(ns)
	if s != nil {
		s.retire()
	}
	return ns, nil
}

// open dials a new socket to the upstream (the kernel picks a random
// ephemeral port) and starts its reader.
func (p *udpPool) open(ctx context.Context) (*udpSock, error) {
	var seed [32]byte
	crand.Read(seed[:]) // never fails (it panics instead)
	c, err := (&net.Dialer{}).DialContext(ctx, "udp", p.addr)
	if err != nil {
		return nil, err
	}
	s := &udpSock{
		conn:    c.(*net.UDPConn),
		born:    time.Now(),
		ids:     rand.NewChaCha8(seed),
		pending: map[uint16]*udpWait{},
	}
	go s.read(p)
	return s, nil
}

// close closes every socket; queries waiting fail, later ones too.
func (p *udpPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for i := range p.slots {
		if s := p.slots[i].Swap(nil); s != nil {
			s.retire()
			s.mu.Lock()
			s.closeLocked()
			s.mu.Unlock()
		}
	}
}

func (s *udpSock) due(uses int, age time.Duration) bool {
	return s.retired.Load() || int(s.sent.Load()) >= uses || time.Since(s.born) >= age
}

// register picks an unused random ID for w.
func (s *udpSock) register(w *udpWait) (uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errPoolClosed
	}
	for {
		id := uint16(s.ids.Uint64())
		if _, busy := s.pending[id]; !busy {
			s.pending[id] = w
			s.sent.Add(1)
			return id, nil
		}
	}
}

// cancel stops waiting for id. It reports false if the reader has
// already taken w (its answer or error is, or is about to be, in done).
func (s *udpSock) cancel(id uint16, w *udpWait) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[id] != w {
		return false
	}
	delete(s.pending, id)
	s.closeIfDoneLocked()
	return true
}

// retire marks s replaced; it closes once no query waits on it.
func (s *udpSock) retire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retired.Store(true)
	s.closeIfDoneLocked()
}

func (s *udpSock) closeIfDoneLocked() {
	if s.retired.Load() && len(s.pending) == 0 {
		s.closeLocked()
	}
}

// closeLocked closes the socket and fails every query still waiting.
func (s *udpSock) closeLocked() {
	if s.closed {
		return
	}
	s.closed = true
	s.conn.Close()
	for id, w := range s.pending {
		delete(s.pending, id)
		w.done <- errPoolClosed
	}
}

// read hands each answer to the query it answers, until the socket is
// closed.
func (s *udpSock) read(p *udpPool) {
	buf := make([]byte, maxUDPAnswer)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// The upstream's port is unreachable (ICMP): everything
			// sent on this socket went there, so fail the lot now
			// rather than at the timeout, as a socket per query did.
			// Any other error retires the socket.
			s.failAll(err, !errors.Is(err, syscall.ECONNREFUSED))
			continue
		}
		if !s.deliver(buf[:n]) {
			p.unwanted.Add(1)
		}
	}
}

// deliver gives msg to the query waiting for it: same ID, a response,
// one question, the same question. It reports false if no query wants it.
func (s *udpSock) deliver(msg []byte) bool {
	if len(msg) < headerLen || msg[2]&0x80 == 0 || binary.BigEndian.Uint16(msg[4:]) != 1 {
		return false
	}
	id := binary.BigEndian.Uint16(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.pending[id]
	if w == nil || len(msg) < w.qend || !sameWireQuestion(msg[headerLen:w.qend], w.out[headerLen:w.qend]) {
		return false
	}
	delete(s.pending, id)
	w.in = append([]byte(nil), msg...)
	w.done <- nil
	s.closeIfDoneLocked()
	return true
}

func (s *udpSock) failAll(err error, retire bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if retire {
		s.retired.Store(true)
	}
	for id, w := range s.pending {
		delete(s.pending, id)
		w.done <- err
	}
	s.closeIfDoneLocked()
}

// sameWireQuestion compares two uncompressed wire-format questions: the
// name's letters without regard to case (label lengths are at most 63:
// never a letter), type and class exactly.
func sameWireQuestion(a, b []byte) bool {
	if len(a) != len(b) || len(a) < 5 || string(a[len(a)-4:]) != string(b[len(b)-4:]) {
		return false
	}
	for i := range len(a) - 4 {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// packQuery writes the resolver's own kind of query (one question, RD and
// maybe CD, at most an OPT record without options: see resolve) in wire
// form with ID 0, without miekg/dns's general packer. It reports false
// for any other message, which is then packed the general way.
func packQuery(b []byte, m *dns.Msg) ([]byte, bool) {
	if len(m.Question) != 1 || len(m.Answer) != 0 || len(m.Ns) != 0 || len(m.Extra) > 1 ||
		m.Response || m.Opcode != dns.OpcodeQuery || m.Authoritative || m.Truncated ||
		m.RecursionAvailable || m.Zero || m.AuthenticatedData || m.Rcode != 0 {
		return b, false
	}
	var opt *dns.OPT
	if len(m.Extra) == 1 {
		if opt, _ = m.Extra[0].(*dns.OPT); opt == nil || len(opt.Option) != 0 || opt.Hdr.Name != "." {
			return b, false
		}
	}
	q := m.Question[0]
	if strings.IndexByte(q.Name, '\\') >= 0 {
		return b, false
	}
	var flags uint16
	if m.RecursionDesired {
		flags |= flagRD
	}
	if m.CheckingDisabled {
		flags |= flagCD
	}
	b = append(b, 0, 0, byte(flags>>8), byte(flags), 0, 1, 0, 0, 0, 0, 0, byte(len(m.Extra)))
	b, ok := appendName(b, q.Name)
	if !ok {
		return b, false
	}
	b = binary.BigEndian.AppendUint16(b, q.Qtype)
	b = binary.BigEndian.AppendUint16(b, q.Qclass)
	if opt != nil {
		b = append(b, 0, 0, typeOPT)
		b = binary.BigEndian.AppendUint16(b, opt.Hdr.Class)
		b = binary.BigEndian.AppendUint32(b, opt.Hdr.Ttl)
		b = append(b, 0, 0)
	}
	return b, true
}
