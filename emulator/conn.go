package emulator

import (
	"context"
	"crypto/subtle"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// protoKind is how a connection talks: raw frames or one of the JSON PubSub subprotocols.
type protoKind int

const (
	protoPlain    protoKind = iota // no or an unknown subprotocol
	protoJSON                      // json.webpubsub.azure.v1
	protoReliable                  // json.reliable.webpubsub.azure.v1
)

// endKind says how the emulator closes a connection it ends.
type endKind int

const (
	closeNormal   endKind = iota // queued messages, disconnected system message, close 1000
	closePolicy                  // disconnected system message, close 1008 (bad frames)
	closeError                   // disconnected system message, close 1011 (upstream failure)
	closeAbort                   // no close frame, queued messages dropped (slow consumer, drop)
	closeByClient                // the WebSocket is already gone
)

// writeTimeout bounds writing the final disconnected system message of a connection.
const writeTimeout = 5 * time.Second

// closeGrace bounds how long an ended connection may take to receive its queued messages and
// closing frames before its socket is closed without them.
const closeGrace = 30 * time.Second

// frame is one queued WebSocket message.
type frame struct {
	typ  websocket.MessageType
	body []byte // shared between receivers; for open frames a JSON object without its '}'
	open bool   // body is an open JSON message object: the writer adds sequenceId and '}'
	seq  uint64 // sequence id on reliable connections; 0 for acks, system messages, pong
}

func (f frame) size() int64 { return int64(len(f.body)) + 1 }

// conn is one client connection (for reliable protocols: the session, which outlives
// WebSocket drops during the recovery window).
type conn struct {
	h           *hub
	id          string
	userID      string
	subprotocol string
	proto       protoKind
	sendGroup   string // plain clients in webpubsub_mode=sendToGroup: the target group
	perms       permissions
	groups      map[string]struct{} // guarded by h.mu

	mu        sync.Mutex
	ws        *websocket.Conn // nil while detached
	writer    *websocket.Conn // the WebSocket a writer goroutine is running for; nil: none
	pending   []frame         // to write, in order
	unacked   []frame         // reliable: written, not acknowledged, ascending seq
	qCount    int             // frames in pending + unacked
	qBytes    int64
	seq       uint64 // last sequence id assigned
	ended     bool
	endReason string
	endHow    endKind
	token     string // reconnection token (reliable)
	recovery  *time.Timer
	detached  time.Time // when the WebSocket of a recoverable connection dropped (e.now)
	state     string    // ce-connectionState
	acks      ackSet
	asyncTail chan struct{} // closed when the last non-blocking upstream event finished

	// blocked is set while the read loop waits for a blocking upstream call; it cannot read
	// pongs then, so keep-alive skips the connection.
	blocked atomic.Bool
	blocks  atomic.Uint64 // counts blocking calls, so a ping spanning one is not held against the client
}

func newConn(h *hub, id string) *conn {
	done := make(chan struct{})
	close(done)
	return &conn{h: h, id: id, asyncTail: done}
}

func (c *conn) pubsub() bool { return c.proto != protoPlain }

// kickLocked starts a writer goroutine for the attached WebSocket unless one runs. Writers
// exist only while there is something to write, so an idle connection costs no goroutine
// besides its reader. Callers hold c.mu.
func (c *conn) kickLocked() {
	if c.ws != nil && c.writer != c.ws {
		c.writer = c.ws
		go c.writeLoop(c.ws)
	}
}

// enqueueLocked queues f; it reports false when the queue limits would be exceeded.
// Callers hold c.mu.
func (c *conn) enqueueLocked(f frame) bool {
	cfg := &c.h.e.cfg
	if c.qCount+1 > cfg.SendQueueMessages || c.qBytes+f.size() > cfg.SendQueueBytes {
		return false
	}
	if f.open && c.proto == protoReliable {
		c.seq++
		f.seq = c.seq
	}
	c.pending = append(c.pending, f)
	c.qCount++
	c.qBytes += f.size()
	return true
}

// send queues a control frame (ack, pong, system message); on overflow the connection is
// ended as a slow consumer.
func (c *conn) send(f frame) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	ok := c.enqueueLocked(f)
	if ok {
		c.kickLocked()
	}
	c.mu.Unlock()
	if !ok {
		c.overflow()
	}
}

// deliverDeferred queues message d in the encoding of c's protocol. Instead of starting a
// writer goroutine it returns the WebSocket a writer must be run for (nil: none needed); the
// caller runs c.writeLoop(ws) (see runWriters). ok is false when c's queue is full; the
// caller must then call c.overflow (outside any hub lock).
func (c *conn) deliverDeferred(d *delivery) (ok bool, start *websocket.Conn) {
	f := d.plain
	if c.pubsub() {
		f = frame{typ: websocket.MessageText, body: d.json, open: true}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return true, nil
	}
	if !c.enqueueLocked(f) {
		return false, nil
	}
	if c.ws != nil && c.writer != c.ws {
		c.writer = c.ws
		return true, c.ws
	}
	return true, nil
}

// writeJob is a connection whose writer role was taken by deliverDeferred.
type writeJob struct {
	c  *conn
	ws *websocket.Conn
}

// writerStallCheck is how often runWriters checks that its workers make progress.
const writerStallCheck = 2 * time.Millisecond

// runWriters runs the writers of a broadcast on a few goroutines instead of one per
// connection: GOMAXPROCS workers take jobs in turn and write each connection's queue
// inline. A worker whose write blocks (a client that stopped reading, its socket buffer full)
// keeps only that connection: when no job was taken for writerStallCheck while jobs remain, a
// supervisor adds a worker, so the other connections never wait for a slow one. It returns
// at once; the workers end when the jobs are taken and their writes are done.
func runWriters(jobs []writeJob) {
	runJobs(len(jobs), func(i int) { jobs[i].c.writeLoop(jobs[i].ws) })
}

// runJobs runs job(0) … job(n-1) on GOMAXPROCS goroutines, adding a goroutine whenever no
// job was taken for writerStallCheck while jobs remain (the others are blocked). It returns
// at once.
func runJobs(n int, job func(i int)) {
	if n == 0 {
		return
	}
	var next atomic.Int64
	worker := func() {
		for {
			i := next.Add(1) - 1
			if i >= int64(n) {
				return
			}
			job(int(i))
		}
	}
	k := min(runtime.GOMAXPROCS(0), n)
	for range k {
		go worker()
	}
	if n <= k {
		return
	}
	go func() {
		t := time.NewTicker(writerStallCheck)
		defer t.Stop()
		last := int64(-1)
		for range t.C {
			cur := next.Load()
			if cur >= int64(n) {
				return
			}
			if cur == last {
				go worker()
			}
			last = cur
		}
	}()
}

// overflow ends a connection whose send queue is full: a slow consumer is dropped rather than
// waited for or buffered without bound.
func (c *conn) overflow() {
	c.h.e.log.Warn("connection dropped: send queue full (slow consumer)", "hub", c.h.name, "connectionId", c.id)
	c.end("The connection was closed because it did not read its messages fast enough.", closeAbort)
}

// sequenceAck drops the acknowledged messages (sequence id ≤ seq) of a reliable connection.
func (c *conn) sequenceAck(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for n < len(c.unacked) && c.unacked[n].seq <= seq {
		c.qBytes -= c.unacked[n].size()
		n++
	}
	c.qCount -= n
	c.unacked = append(c.unacked[:0], c.unacked[n:]...)
}

// attach makes ws the connection's WebSocket and starts its writer. first is queued before
// anything else (the connected system message). For a recovery, the unacknowledged messages
// are queued again, and a previous WebSocket is closed without handshake. attach reports false
// when the connection has ended.
func (c *conn) attach(ws *websocket.Conn, first []byte) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return false
	}
	old := c.ws
	if c.recovery != nil {
		c.recovery.Stop()
		c.recovery = nil
	}
	// Control frames queued for a previous WebSocket are stale; messages are redelivered.
	requeue := make([]frame, 0, 1+len(c.unacked)+len(c.pending))
	if first != nil {
		requeue = append(requeue, frame{typ: websocket.MessageText, body: first})
		c.qCount++
		c.qBytes += int64(len(first)) + 1
	}
	requeue = append(requeue, c.unacked...)
	for _, f := range c.pending {
		if f.seq > 0 || c.proto != protoReliable {
			requeue = append(requeue, f)
		} else {
			c.qCount--
			c.qBytes -= f.size()
		}
	}
	c.pending, c.unacked = requeue, nil
	c.ws = ws
	if len(c.pending) > 0 {
		c.kickLocked()
	}
	c.mu.Unlock()
	if old != nil {
		_ = old.CloseNow()
	}
	return true
}

// detach is called when ws's read loop ended with err. A reliable connection whose WebSocket
// dropped without a normal close by the client stays recoverable for the recovery window;
// every other connection ends.
func (c *conn) detach(ws *websocket.Conn, err error) {
	c.mu.Lock()
	if c.ws != ws {
		c.mu.Unlock()
		return
	}
	c.ws = nil
	if c.ended {
		c.mu.Unlock()
		return
	}
	status := websocket.CloseStatus(err)
	window := c.h.e.cfg.RecoveryWindow
	if c.proto == protoReliable && window > 0 && status != websocket.StatusNormalClosure && status != websocket.StatusGoingAway {
		c.detached = c.h.e.now()
		c.recovery = time.AfterFunc(window, func() {
			c.end("The connection was not recovered in time.", closeByClient)
		})
		c.mu.Unlock()
		c.h.e.log.Debug("connection dropped, recoverable", "hub", c.h.name, "connectionId", c.id, "error", err)
		return
	}
	c.mu.Unlock()
	reason := ""
	switch {
	case status == websocket.StatusNormalClosure || status == websocket.StatusGoingAway:
	case status == websocket.StatusMessageTooBig || errors.Is(err, websocket.ErrMessageTooBig):
		reason = "The message exceeded the size limit of " + strconv.FormatInt(c.h.e.cfg.MaxMessageSize, 10) + " bytes."
	case status >= 0:
		reason = "The client closed the connection with status " + strconv.Itoa(int(status)) + "."
	default:
		reason = "The connection was interrupted."
	}
	c.end(reason, closeByClient)
}

// end ends the connection once: it leaves the hub and its groups, the WebSocket (if any) gets
// the disconnected system message and a close frame as how says, and the upstream gets
// disconnected.
func (c *conn) end(reason string, how endKind) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended, c.endReason, c.endHow = true, reason, how
	if c.recovery != nil {
		c.recovery.Stop()
		c.recovery = nil
	}
	if how == closeAbort {
		c.pending, c.unacked = nil, nil
	}
	ws := c.ws
	if ws != nil && how != closeAbort {
		c.kickLocked() // the writer flushes the queue, then closes
		// A client that does not read cannot take the final frames; the ended connection
		// is no longer pinged, so bound the goodbye.
		time.AfterFunc(closeGrace, func() { _ = ws.CloseNow() })
	}
	c.mu.Unlock()

	groups := c.h.unregister(c)
	c.h.e.release()
	if ws != nil && how == closeAbort {
		go func() { _ = ws.CloseNow() }()
	}
	c.h.e.log.Info("connection closed", "hub", c.h.name, "connectionId", c.id, "userId", c.userID, "reason", reason)
	for _, g := range groups {
		c.groupPresence(g, false)
	}
	c.disconnected(reason)
}

// writeLoop writes queued frames to ws while there are any, then exits; for an ended
// connection it finally sends the closing frames. It also exits when ws was detached or
// replaced.
func (c *conn) writeLoop(ws *websocket.Conn) {
	var spare []frame
	var buf []byte
	for {
		c.mu.Lock()
		if c.ws != ws {
			if c.writer == ws {
				c.writer = nil
			}
			c.mu.Unlock()
			return
		}
		batch := c.pending
		if len(batch) == 0 {
			ended, how, reason := c.ended, c.endHow, c.endReason
			if !ended {
				c.writer = nil
			}
			c.mu.Unlock()
			if ended {
				c.closeWS(ws, how, reason)
			}
			return
		}
		// Swap buffers: the writer owns batch, enqueuers append to the spare one.
		c.pending, spare = spare, nil
		if c.proto == protoReliable {
			for _, f := range batch {
				if f.seq > 0 {
					c.unacked = append(c.unacked, f)
				}
			}
		}
		c.mu.Unlock()

		// No per-write deadline: a client that stops reading is ended by the queue bound
		// (overflow closes the socket, which unblocks the write) or by the keep-alive.
		var written int64
		n := 0
		for _, f := range batch {
			if err := writeFrame(context.Background(), ws, f, &buf); err != nil {
				_ = ws.CloseNow()
				c.mu.Lock()
				if c.writer == ws {
					c.writer = nil
				}
				c.mu.Unlock()
				return
			}
			if c.proto != protoReliable || f.seq == 0 {
				written += f.size()
				n++
			}
		}
		c.mu.Lock()
		c.qCount -= n
		c.qBytes -= written
		c.mu.Unlock()
		clear(batch)
		spare = batch[:0]
	}
}

// ping sends one keep-alive ping and drops the WebSocket when no pong arrives within the
// keep-alive interval.
func (c *conn) ping() {
	if c.blocked.Load() {
		return
	}
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws == nil {
		return
	}
	gen := c.blocks.Load()
	ctx, cancel := context.WithTimeout(context.Background(), c.h.e.cfg.KeepAliveInterval)
	defer cancel()
	if err := ws.Ping(ctx); err != nil && !c.blocked.Load() && c.blocks.Load() == gen {
		_ = ws.CloseNow()
	}
}

// closeWS sends the final frames of an ended connection.
func (c *conn) closeWS(ws *websocket.Conn, how endKind, reason string) {
	code := websocket.StatusNormalClosure
	switch how {
	case closePolicy:
		code = websocket.StatusPolicyViolation
	case closeError:
		code = websocket.StatusInternalError
	case closeAbort, closeByClient:
		_ = ws.CloseNow()
		return
	}
	if c.pubsub() {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		_ = ws.Write(ctx, websocket.MessageText, systemDisconnected(reason))
		cancel()
	}
	_ = ws.Close(code, closeReason(reason))
}

// closeReason truncates reason to the 123 bytes a close frame can carry.
func closeReason(reason string) string {
	if len(reason) <= 123 {
		return reason
	}
	cut := 123
	for cut > 0 && reason[cut]&0xC0 == 0x80 {
		cut--
	}
	return reason[:cut]
}

// writeFrame writes one frame, completing open JSON message objects.
func writeFrame(ctx context.Context, ws *websocket.Conn, f frame, scratch *[]byte) error {
	if !f.open {
		return ws.Write(ctx, f.typ, f.body)
	}
	b := append((*scratch)[:0], f.body...)
	if f.seq > 0 {
		b = append(b, `,"sequenceId":`...)
		b = strconv.AppendUint(b, f.seq, 10)
	}
	b = append(b, '}')
	*scratch = b
	return ws.Write(ctx, f.typ, b)
}

// errDropped is the read error a dropped WebSocket is detached with.
var errDropped = errors.New("webpubsub: the WebSocket was dropped")

// drop closes the connection's WebSocket without a close frame, as a network failure would,
// and detaches it at once (the read loop notices the closed socket later and finds it
// detached): when drop returns, the connection is either recoverable or ended, as the
// configuration says.
func (c *conn) drop() bool {
	c.mu.Lock()
	ws := c.ws
	c.mu.Unlock()
	if ws == nil {
		return false
	}
	_ = ws.CloseNow()
	c.detach(ws, errDropped)
	return true
}

// recoverable reports whether a recovery request with token may take over the connection
// now: the connection is reliable and not ended, recovery is enabled, the token is the
// current one, and a detached connection is still within the recovery window (measured from
// the drop, whether or not the window timer has run yet). A connection whose WebSocket still
// looks alive is recoverable too: the client may notice a broken network before the
// emulator does.
func (c *conn) recoverable(token string) bool {
	window := c.h.e.cfg.RecoveryWindow
	if c.proto != protoReliable || window <= 0 || token == "" {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || subtle.ConstantTimeCompare([]byte(token), []byte(c.token)) != 1 {
		return false
	}
	return c.ws != nil || c.h.e.now().Sub(c.detached) < window
}

// ackSet remembers the ack ids a connection used, bounded to the most recent maxAckIDs.
type ackSet struct {
	seen map[uint64]struct{}
	ring []uint64
	next int
}

const maxAckIDs = 4096

// add records id; it reports false when id was recorded before (a duplicate).
func (s *ackSet) add(id uint64) bool {
	if _, ok := s.seen[id]; ok {
		return false
	}
	if s.seen == nil {
		s.seen = make(map[uint64]struct{})
	}
	if len(s.ring) < maxAckIDs {
		s.ring = append(s.ring, id)
	} else {
		delete(s.seen, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % maxAckIDs
	}
	s.seen[id] = struct{}{}
	return true
}
