package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// session is one WebSocket connection: a reader goroutine that decodes frames and a timer
// goroutine for sequence acks and keep-alive. Both end when the WebSocket ends; done is closed
// after that.
type session struct {
	c         *Client
	ws        *websocket.Conn
	ctx       context.Context // ends with the session; used for every write
	cancel    context.CancelFunc
	recovered bool          // opened with a reconnection token
	connected chan struct{} // closed at the first connected system message
	done      chan struct{} // closed when both goroutines ended
	kick      chan struct{} // asks for an immediate sequence ack
	cork      *corkConn     // nil when writes cannot be coalesced
	writer    batchWriter
	lastRecv  atomic.Int64 // unix nanoseconds of the last frame received
	idle      atomic.Int64 // set by timers: the idle time that closed the connection
	wg        sync.WaitGroup

	// Set by the reader before done is closed.
	err             error
	disconnectedMsg string
	gotConnected    bool
	gotAny          bool // any frame arrived
	tooBig          bool // a frame exceeded ReadLimit: recovery would redeliver it
}

// maxDialBody bounds what dial reads of the body of a refused handshake.
const maxDialBody = 1024

// dial opens a WebSocket to url and starts its goroutines.
func (c *Client) dial(ctx context.Context, url string, recovered bool) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.handshakeTimeout)
	defer cancel()
	slot := &corkSlot{}
	ctx = context.WithValue(ctx, corkSlotKey{}, slot)
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPClient:   c.httpClient,
		HTTPHeader:   c.cfg.header,
		Subprotocols: []string{string(c.cfg.protocol)},
	})
	if err != nil {
		de := &DialError{Err: err}
		if resp != nil {
			de.StatusCode = resp.StatusCode
			if resp.Body != nil {
				// The library keeps at most 1 KiB of the body in memory; bound it anyway.
				body, _ := io.ReadAll(io.LimitReader(resp.Body, maxDialBody))
				_ = resp.Body.Close()
				de.Reason = dialReason(body)
			}
		}
		return nil, de
	}
	if got := ws.Subprotocol(); got != string(c.cfg.protocol) {
		_ = ws.Close(websocket.StatusProtocolError, "subprotocol not accepted")
		return nil, &DialError{StatusCode: http.StatusSwitchingProtocols,
			Err: fmt.Errorf("service selected subprotocol %q, want %q", got, c.cfg.protocol)}
	}
	ws.SetReadLimit(c.cfg.readLimit)
	s := &session{
		c:         c,
		ws:        ws,
		cork:      slot.conn,
		recovered: recovered,
		connected: make(chan struct{}),
		done:      make(chan struct{}),
		kick:      make(chan struct{}, 1),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.lastRecv.Store(time.Now().UnixNano())
	s.wg.Add(2)
	go s.readLoop()
	go s.timers()
	go func() {
		s.wg.Wait()
		close(s.done)
	}()
	return s, nil
}

// waitConnected waits for the connected message of a new connection.
func (s *session) waitConnected(ctx context.Context) error {
	t := time.NewTimer(s.c.cfg.handshakeTimeout)
	defer t.Stop()
	select {
	case <-s.connected:
		return nil
	case <-s.done:
		return &DialError{Err: fmt.Errorf("connection ended before the connected message: %w", s.err)}
	case <-t.C:
		s.abort()
		return &DialError{Err: errors.New("no connected message within the handshake timeout")}
	case <-ctx.Done():
		s.abort()
		return ctx.Err()
	}
}

// abort ends the session without a close handshake and waits for its goroutines.
func (s *session) abort() {
	s.cancel()
	_ = s.ws.CloseNow()
	<-s.done
}

// close ends the session with a normal close handshake, bounded by ctx.
func (s *session) close(ctx context.Context) {
	s.sendSequenceAck()
	closed := make(chan struct{})
	go func() {
		_ = s.ws.Close(websocket.StatusNormalClosure, "")
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
	}
	s.abort()
	<-closed
}

// writeOne sends one text frame. Reads and writes use a context without Done, so that the
// WebSocket library arms no per-frame timer; a blocked read or write ends when the session
// closes the connection (abort, keep-alive timeout, Stop).
func (s *session) writeOne(frame []byte) error {
	return s.ws.Write(context.Background(), websocket.MessageText, frame)
}

// readLoop reads and handles frames until the WebSocket ends.
func (s *session) readLoop() {
	defer s.wg.Done()
	defer s.cancel()
	log := s.c.cfg.logger
	var buf bytes.Buffer // reused: decoding copies what it keeps
	for {
		typ, p, err := s.readMessage(&buf)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				s.tooBig = true
				err = fmt.Errorf("webpubsub: a message exceeded the read limit of %d bytes: %w", s.c.cfg.readLimit, err)
			}
			if idle := s.idle.Load(); idle != 0 {
				err = fmt.Errorf("webpubsub: keep-alive timeout: nothing received for %v: %w", time.Duration(idle), err)
			}
			s.err = err
			_ = s.ws.CloseNow()
			return
		}
		s.lastRecv.Store(time.Now().UnixNano())
		s.gotAny = true
		if typ != websocket.MessageText {
			log.LogAttrs(s.ctx, slog.LevelWarn, "webpubsub client: ignoring a binary frame on a JSON subprotocol")
			continue
		}
		d, err := decodeDownstream(p)
		if err != nil {
			log.LogAttrs(s.ctx, slog.LevelWarn, "webpubsub client: ignoring a malformed frame", slog.Any("error", err))
			continue
		}
		s.handle(d)
	}
}

// readMessage reads one message into buf and returns its bytes, valid until the next call.
func (s *session) readMessage(buf *bytes.Buffer) (websocket.MessageType, []byte, error) {
	typ, r, err := s.ws.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	if buf.Cap() > 1<<20 {
		*buf = bytes.Buffer{} // do not keep the buffer of a past large message
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, buf.Bytes(), nil
}

// handle acts on one decoded frame.
func (s *session) handle(d *downstream) {
	c := s.c
	switch d.Type {
	case frameAck:
		c.acks.resolve(d)
	case frameMessage:
		if c.cfg.protocol.reliable() && d.SequenceID != 0 {
			isNew, ackNow := c.seq.receive(d.SequenceID, c.cfg.seqAckAhead)
			if ackNow {
				signal(s.kick)
			}
			if !isNew {
				return
			}
		}
		c.waitRoom(s)
		data, err := d.payload()
		if err != nil {
			c.cfg.logger.LogAttrs(s.ctx, slog.LevelWarn, "webpubsub client: dropping a message with bad data", slog.Any("error", err))
			return
		}
		switch d.From {
		case fromGroup:
			c.emit(&GroupMessageEvent{Group: d.Group, FromUserID: d.FromUserID, Data: data, SequenceID: d.SequenceID})
		case fromServer:
			c.emit(&ServerMessageEvent{Data: data, SequenceID: d.SequenceID})
		default:
			c.cfg.logger.LogAttrs(s.ctx, slog.LevelWarn, "webpubsub client: dropping a message of unknown origin", slog.String("from", d.From))
		}
	case frameSystem:
		switch d.Event {
		case systemConnected:
			c.setIdentity(d.ConnectionID, d.UserID, d.ReconnectionToken)
			if !s.gotConnected {
				s.gotConnected = true
				close(s.connected)
			}
		case systemDisconnected:
			s.disconnectedMsg = d.Message
		}
	case framePong:
	default:
		c.cfg.logger.LogAttrs(s.ctx, slog.LevelDebug, "webpubsub client: ignoring a frame of unknown type", slog.String("type", d.Type))
	}
}

// timers sends sequence acks and keep-alive pings and enforces the keep-alive timeout.
func (s *session) timers() {
	defer s.wg.Done()
	cfg := &s.c.cfg
	var seqC, pingC, checkC <-chan time.Time
	if cfg.protocol.reliable() {
		t := time.NewTicker(cfg.seqAckInterval)
		defer t.Stop()
		seqC = t.C
	}
	if cfg.keepAlive > 0 {
		t := time.NewTicker(cfg.keepAlive)
		defer t.Stop()
		pingC = t.C
	}
	if cfg.keepAliveTimeout > 0 {
		t := time.NewTicker(max(cfg.keepAliveTimeout/3, time.Millisecond))
		defer t.Stop()
		checkC = t.C
	}
	ping := (&upstream{typ: framePing}).encode(nil)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-seqC:
			s.sendSequenceAck()
		case <-s.kick:
			s.sendSequenceAck()
		case <-pingC:
			_ = s.write(ping) // a failed write ends the session through the reader
		case now := <-checkC:
			if idle := now.Sub(time.Unix(0, s.lastRecv.Load())); idle > cfg.keepAliveTimeout {
				s.c.cfg.logger.LogAttrs(s.ctx, slog.LevelWarn, "webpubsub client: keep-alive timeout, closing", slog.Duration("idle", idle))
				s.idle.Store(int64(idle))
				_ = s.ws.CloseNow()
			}
		}
	}
}

// sendSequenceAck acknowledges the largest sequence id received, if it changed.
func (s *session) sendSequenceAck() {
	if !s.c.cfg.protocol.reliable() {
		return
	}
	id, ok := s.c.seq.toAck()
	if !ok {
		return
	}
	if err := s.write((&upstream{typ: frameSequenceAck, sequenceID: id}).encode(nil)); err == nil {
		s.c.seq.sent(id)
		s.c.cfg.logger.LogAttrs(s.ctx, slog.LevelDebug, "webpubsub client: sequence ack", slog.Uint64("sequenceId", id))
	}
}

// closeStatus returns the WebSocket close status of the ended session, -1 when none.
func (s *session) closeStatus() websocket.StatusCode {
	return websocket.CloseStatus(s.err)
}
