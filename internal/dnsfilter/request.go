package dnsfilter

import (
	"net"
	"net/netip"
	"time"

	"schoolgate/internal/policy"
)

// maxUDPQuery is the largest UDP query read; larger datagrams are
// answered FORMERR.
const maxUDPQuery = 4096

// result is how a query was answered, for metrics and the log.
type result uint8

const (
	resAllowed result = iota
	resBlocked
	resIllegal
	resSafeSearch
	resCircumvention
	resServFail
	resFormErr
	resRefused
	resNotImp
	resRateLimited
	resDropped
	resOutside
	numResults
)

var resultNames = [numResults]string{
	"allowed", "blocked", "illegal", "safesearch", "circumvention",
	"servfail", "formerr", "refused", "notimp", "ratelimited", "dropped",
	"outside_networks",
}

// request is one query on its way through the chain. Requests are pooled:
// nothing may keep one (or a slice of its buffers) after finish.
type request struct {
	in  []byte // UDP read buffer, maxUDPQuery long
	raw []byte // the query as received
	out []byte // the response being built

	client   netip.AddrPort
	udp      *net.UDPConn // nil for TCP and tests
	tcp      bool
	mayBlock bool // the stage may wait on the network (TCP, parked)
	oversize bool // the datagram did not fit in
	at       int  // the stage to run next
	start    time.Time

	// From the question.
	id     uint16
	rd, cd bool
	ad     bool
	// name is lower case, without the trailing dot; "" is the root. It
	// usually aliases nameBuf, so it lives only as long as the request:
	// anything kept past finish (a cache key, a logged event) must hold a
	// copy (strings.Clone).
	name     string
	nameBuf  [maxNameLen + 2]byte
	question []byte // wire form of the question, as the client sent it
	qbuf     []byte // backing for question when it was re-encoded
	qtype    uint16
	qclass   uint16
	edns     bool
	do       bool
	maxSize  int
	noPolicy bool // reverse zones and the root: not a site
	// probe is the self-test token of an EDNS0 probe option (aliasing
	// raw), honoured by identify only from loopback with a valid MAC;
	// probed is set when it was.
	probe  []byte
	probed bool

	// From identify and decide.
	v       *view
	now     time.Time
	user    string
	groups  policy.Set
	portal  bool // unidentified in a portal group: sign in first
	gi      *groupInfo
	decided bool
	ovs     *policy.Overrides // the live overrides decide used
	via     string            // the CNAME target that decided (cloaking), if any
	d       policy.Decision
	ttlCap  uint32
	res     result
	rule    string // set by stages that decide without the policy
	cached  bool
}

func (r *request) reset() {
	in, out, qbuf := r.in, r.out[:0], r.qbuf[:0]
	*r = request{}
	r.in, r.out, r.qbuf = in, out, qbuf
}

func (s *Server) getRequest() *request {
	r := s.reqs.Get().(*request)
	if r.in == nil {
		r.in = make([]byte, maxUDPQuery)
	}
	return r
}

// begin stamps a request as it arrives: the time, the policy clock and
// the view (policy snapshot and dns: settings) it will be decided with.
func (s *Server) begin(r *request) {
	r.start = time.Now()
	r.now = s.now()
	r.v = s.view.Load()
}

// clock is a moment read once for a batch of queries that arrived
// together: they share their arrival time, policy time and view.
type clock struct {
	start, now time.Time
	v          *view
}

func (s *Server) readClock() clock {
	return clock{start: time.Now(), now: s.now(), v: s.view.Load()}
}

// beginAt stamps r with a batch's clock.
func (r *request) beginAt(c *clock) {
	r.start, r.now, r.v = c.start, c.now, c.v
}

func (s *Server) putRequest(r *request) {
	r.recycle()
	s.reqs.Put(r)
}

// recycle clears r for the next query, keeping its buffers unless the
// answer buffer grew large (a TCP answer).
func (r *request) recycle() {
	if cap(r.out) > 16<<10 {
		r.out = nil
	}
	r.reset()
}
