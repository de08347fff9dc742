package client

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// Write coalescing. The WebSocket library flushes every message with its own write system
// call. When many requests are sent at once (a burst of SendToGroup from many goroutines),
// the first writer becomes the leader: it writes every queued frame with the socket "corked"
// (bytes collect in memory) and then uncorks with one write for all of them. A lone writer
// pays nothing extra: it writes and flushes its own frame at once. This is what Node's
// streams do with writev, and it is where most of the client's throughput comes from.

// corkConn is the TCP connection under a session's WebSocket.
type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

// Write writes p, or buffers it while corked.
func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked {
		c.buf = append(c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// cork starts buffering writes.
func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// uncork writes what was buffered, in one write, and stops buffering. The lock is held during
// the write so that no other write overtakes the buffered bytes.
func (c *corkConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.corked = false
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	if cap(c.buf) > 1<<20 {
		c.buf = nil
	} else {
		c.buf = c.buf[:0]
	}
	return err
}

// corkSlot receives the corkConn made for one handshake (through the dial context).
type corkSlot struct{ conn *corkConn }

type corkSlotKey struct{}

// corkingClient returns an HTTP client whose connections can be corked: a copy of base's
// *http.Transport (or a fresh one) whose dialer wraps each TCP connection. When base uses
// another RoundTripper it is returned as is and writes are not coalesced.
func corkingClient(base *http.Client) *http.Client {
	var t *http.Transport
	switch {
	case base == nil:
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 10 * time.Second}
		base = &http.Client{}
	case base.Transport == nil:
		t = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 10 * time.Second}
	default:
		bt, ok := base.Transport.(*http.Transport)
		if !ok {
			return base
		}
		t = bt.Clone()
	}
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		slot, ok := ctx.Value(corkSlotKey{}).(*corkSlot)
		if !ok {
			return conn, nil
		}
		cc := &corkConn{Conn: conn}
		slot.conn = cc
		return cc, nil
	}
	t.DisableKeepAlives = true // one connection per handshake: the slot names it
	t.ForceAttemptHTTP2 = false
	c := *base
	c.Transport = t
	return &c
}

// batchWriter is the leader/follower write path of a session.
type batchWriter struct {
	mu      sync.Mutex
	writing bool
	queue   []*pendingWrite
}

type pendingWrite struct {
	frame []byte
	done  chan error // buffered 1
}

var pendingWritePool = sync.Pool{New: func() any { return &pendingWrite{done: make(chan error, 1)} }}

// write sends frame through s, coalescing with concurrent writers.
func (s *session) write(frame []byte) error {
	cc := s.cork
	if cc == nil {
		return s.writeOne(frame)
	}
	w := &s.writer
	w.mu.Lock()
	if !w.writing && len(w.queue) == 0 {
		// Alone: write directly, but let writers arriving meanwhile queue for the next batch.
		w.writing = true
		w.mu.Unlock()
		err := s.writeOne(frame)
		s.drain()
		return err
	}
	pw := pendingWritePool.Get().(*pendingWrite)
	pw.frame = frame
	w.queue = append(w.queue, pw)
	if w.writing {
		w.mu.Unlock()
		err := <-pw.done
		pw.frame = nil
		pendingWritePool.Put(pw)
		return err
	}
	w.writing = true
	w.mu.Unlock()
	s.drain()
	err := <-pw.done
	pw.frame = nil
	pendingWritePool.Put(pw)
	return err
}

// drain writes queued frames in corked batches until the queue is empty, then gives up the
// leader role. The caller holds the leader role.
func (s *session) drain() {
	w := &s.writer
	for {
		w.mu.Lock()
		batch := w.queue
		w.queue = nil
		if len(batch) == 0 {
			w.writing = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		var err error
		if len(batch) == 1 {
			err = s.writeOne(batch[0].frame)
			batch[0].done <- err
			continue
		}
		s.cork.cork()
		errs := make([]error, len(batch))
		for i, pw := range batch {
			errs[i] = s.writeOne(pw.frame)
		}
		if err := s.cork.uncork(); err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
		for i, pw := range batch {
			pw.done <- errs[i]
		}
	}
}
