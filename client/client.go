package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// URLFunc returns a client access URL (ws:// or wss://, with its access token). The client
// calls it for every new connection, so it can fetch a fresh token, typically from the app's
// negotiate endpoint. It is not called to recover a connection.
type URLFunc func(ctx context.Context) (string, error)

// Client is a WebSocket client of a Web PubSub hub speaking a JSON PubSub subprotocol. Create
// one with [New] or [NewWithURLFunc], register handler funcs, then call [Client.Start].
// Operations ([Client.JoinGroup], [Client.SendToGroup]…) are safe for concurrent use.
type Client struct {
	urlFunc URLFunc
	cfg     config
	h       handlers
	acks    *ackManager
	seq     sequenceTracker
	// httpClient performs handshakes over connections whose writes can be coalesced.
	httpClient *http.Client

	mu      sync.Mutex
	frozen  bool          // handlers may no longer be registered
	run     *run          // nil when not started
	sess    *session      // usable session, nil while (re)connecting
	sessCh  chan struct{} // closed when sess or run changes
	groups  map[string]struct{}
	connID  string
	userID  string
	token   string
	baseURL string // URL of the last new connection, for recovery
	queue   *eventQueue
}

// run is the state of one Start…Stop cycle.
type run struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the supervisor and the dispatcher ended
	closed chan struct{} // closed when the connection is closed and StoppedEvent queued
	queue  *eventQueue
}

// New returns a client that connects with the client access URL u (for example the URL of
// service.ClientAccessToken). The token in u is reused on every reconnect; when tokens expire,
// use [NewWithURLFunc]. opts may be nil.
func New(u string, opts *Options) (*Client, error) {
	if err := checkURL(u); err != nil {
		return nil, err
	}
	return NewWithURLFunc(func(context.Context) (string, error) { return u, nil }, opts)
}

// NewWithURLFunc returns a client that calls f for the URL of every new connection. opts may
// be nil.
func NewWithURLFunc(f URLFunc, opts *Options) (*Client, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil URLFunc", ErrInvalidArgument)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &Client{
		urlFunc:    f,
		cfg:        cfg,
		httpClient: corkingClient(cfg.httpClient),
		acks:       newAckManager(),
		sessCh:     make(chan struct{}),
		groups:     make(map[string]struct{}),
	}, nil
}

func checkURL(u string) error {
	if u == "" {
		return fmt.Errorf("%w: empty client access URL", ErrInvalidArgument)
	}
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("%w: client access URL: %w", ErrInvalidArgument, err)
	}
	switch p.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Errorf("%w: client access URL scheme %q, want ws or wss", ErrInvalidArgument, p.Scheme)
	}
	if p.Host == "" {
		return fmt.Errorf("%w: client access URL has no host", ErrInvalidArgument)
	}
	return nil
}

// register adds f under the lock; it panics on a nil func or after Start.
func register[F any](c *Client, list *[]F, f F, isNil bool, name string) {
	if isNil {
		panic("webpubsub: nil " + name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		panic("webpubsub: " + name + " registered after Start")
	}
	*list = append(*list, f)
}

// OnConnected registers f for [ConnectedEvent]. Handler funcs must be registered before Start
// (registering later, or a nil func, panics); several funcs per event run in registration
// order. All handler funcs of a client run one at a time, in the order of the events, on one
// goroutine; they may call the client's operations.
func (c *Client) OnConnected(f ConnectedFunc) {
	register(c, &c.h.connected, f, f == nil, "OnConnected")
}

// OnDisconnected registers f for [DisconnectedEvent]; see [Client.OnConnected].
func (c *Client) OnDisconnected(f DisconnectedFunc) {
	register(c, &c.h.disconnected, f, f == nil, "OnDisconnected")
}

// OnStopped registers f for [StoppedEvent]; see [Client.OnConnected].
func (c *Client) OnStopped(f StoppedFunc) {
	register(c, &c.h.stopped, f, f == nil, "OnStopped")
}

// OnServerMessage registers f for [ServerMessageEvent]; see [Client.OnConnected].
func (c *Client) OnServerMessage(f ServerMessageFunc) {
	register(c, &c.h.serverMessage, f, f == nil, "OnServerMessage")
}

// OnGroupMessage registers f for [GroupMessageEvent]; see [Client.OnConnected].
func (c *Client) OnGroupMessage(f GroupMessageFunc) {
	register(c, &c.h.groupMessage, f, f == nil, "OnGroupMessage")
}

// OnRejoinGroupFailed registers f for [RejoinGroupFailedEvent]; see [Client.OnConnected].
func (c *Client) OnRejoinGroupFailed(f RejoinGroupFailedFunc) {
	register(c, &c.h.rejoinGroupFailed, f, f == nil, "OnRejoinGroupFailed")
}

// ConnectionID returns the id of the current (or last) connection, empty before the first.
func (c *Client) ConnectionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connID
}

// UserID returns the user id of the current (or last) connection, empty when anonymous.
func (c *Client) UserID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.userID
}

// setIdentity records a connected message.
func (c *Client) setIdentity(connID, userID, token string) {
	c.mu.Lock()
	c.connID, c.userID, c.token = connID, userID, token
	c.mu.Unlock()
}

// waitRoom blocks the reader of s while the handler funcs are MaxPendingEvents behind.
func (c *Client) waitRoom(s *session) {
	c.mu.Lock()
	q := c.queue
	c.mu.Unlock()
	if q != nil {
		q.waitRoom(c.acks, s.ctx.Done())
	}
}

// emit queues an event for the handler funcs.
func (c *Client) emit(ev any) {
	c.mu.Lock()
	q := c.queue
	c.mu.Unlock()
	if q != nil {
		q.push(ev)
	}
}

// setSession publishes s (nil while reconnecting) to the operations.
func (c *Client) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	close(c.sessCh)
	c.sessCh = make(chan struct{})
	c.mu.Unlock()
}

// Start opens the first connection and returns once the service sent its connected message
// (OnConnected runs then, after any automatic rejoin). ctx bounds only this first connection;
// the client then runs until [Client.Stop] or until it gives up reconnecting (OnStopped).
// A stopped client may be started again. Start returns [ErrAlreadyStarted] on a running
// client, [ErrStopped] when Stop was called meanwhile, or a [*DialError].
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.run != nil {
		c.mu.Unlock()
		return ErrAlreadyStarted
	}
	c.frozen = true
	q := newEventQueue(c.cfg.maxPendingEvents)
	r := &run{done: make(chan struct{}), closed: make(chan struct{}), queue: q}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	c.run, c.queue = r, q
	c.connID, c.userID, c.token = "", "", ""
	c.mu.Unlock()

	// Handler funcs get a context that outlives Stop, so that a func may call Stop(ctx).
	hctx, hcancel := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		defer hcancel()
		q.run(hctx, &c.h)
	}()

	startCtx, cancel := context.WithCancel(ctx)
	stopWatch := context.AfterFunc(r.ctx, cancel)
	s, err := c.connectNew(startCtx)
	stopWatch()
	cancel()
	if err != nil {
		if r.ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ErrStopped, err)
		}
		r.cancel()
		q.close(nil)
		<-dispatched
		c.mu.Lock()
		c.run, c.queue = nil, nil
		c.mu.Unlock()
		c.setSession(nil)
		close(r.closed)
		close(r.done)
		return err
	}
	c.onNewConnection(r, s)
	go c.supervise(r, s, dispatched)
	return nil
}

// connectNew opens a brand-new connection: fetches a URL, dials, waits for connected.
func (c *Client) connectNew(ctx context.Context) (*session, error) {
	u, err := c.urlFunc(ctx)
	if err != nil {
		return nil, fmt.Errorf("webpubsub: client access URL: %w", err)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	c.seq.reset()
	s, err := c.dial(ctx, u, false)
	if err != nil {
		return nil, err
	}
	if err := s.waitConnected(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.baseURL = u
	c.mu.Unlock()
	return s, nil
}

// onNewConnection publishes a new session, rejoins groups and emits Connected.
func (c *Client) onNewConnection(r *run, s *session) {
	c.setSession(s)
	c.rejoin(r.ctx, s)
	c.mu.Lock()
	ev := &ConnectedEvent{ConnectionID: c.connID, UserID: c.userID}
	c.mu.Unlock()
	c.cfg.logger.LogAttrs(r.ctx, slog.LevelInfo, "webpubsub client: connected",
		slog.String("connectionId", ev.ConnectionID), slog.String("userId", ev.UserID))
	c.emit(ev)
}

// rejoin joins again, on s, every group joined with auto rejoin, concurrently.
func (c *Client) rejoin(ctx context.Context, s *session) {
	if !c.cfg.autoRejoin {
		return
	}
	c.mu.Lock()
	groups := make([]string, 0, len(c.groups))
	for g := range c.groups {
		groups = append(groups, g)
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Go(func() {
			id, ch, _ := c.acks.register(0)
			defer c.acks.remove(id)
			frame := (&upstream{typ: frameJoinGroup, group: g, ackID: id}).encode(nil)
			_, err := c.attempt(ctx, s, frame, ch)
			if err != nil && ctx.Err() == nil { // not when stopping
				c.emit(&RejoinGroupFailedEvent{Group: g, Err: err})
			}
		})
	}
	wg.Wait()
}

// supervise watches the session of run r: recovers or reconnects after drops, and cleans up
// when the client stops.
func (c *Client) supervise(r *run, s *session, dispatched chan struct{}) {
	var stopErr error
	defer func() {
		c.mu.Lock()
		q := c.queue
		c.run, c.queue = nil, nil
		c.mu.Unlock()
		c.setSession(nil)
		q.close(&StoppedEvent{Err: stopErr})
		close(r.closed)
		<-dispatched
		r.cancel()
		c.cfg.logger.LogAttrs(context.Background(), slog.LevelInfo, "webpubsub client: stopped", slog.Any("error", stopErr))
		close(r.done)
	}()
	var lostErr error // why the connection was lost, kept across rejected recoveries
	var lostMsg string
	disconnected := func() {
		c.emit(&DisconnectedEvent{ConnectionID: c.ConnectionID(), Message: lostMsg, Err: lostErr})
	}
	for {
		select {
		case <-s.done:
		case <-r.ctx.Done():
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.handshakeTimeout)
			s.close(ctx)
			cancel()
			c.emit(&DisconnectedEvent{ConnectionID: c.ConnectionID(), Message: s.disconnectedMsg})
			return
		}
		c.setSession(nil)
		if !s.recovered || s.gotAny || lostErr == nil {
			// A recovery the service refused (1008 before any frame) keeps the first cause.
			lostErr, lostMsg = s.err, s.disconnectedMsg
		}
		log := c.cfg.logger.With(slog.String("connectionId", c.ConnectionID()))
		log.LogAttrs(r.ctx, slog.LevelInfo, "webpubsub client: connection ended", slog.Any("error", s.err))
		if r.ctx.Err() != nil {
			disconnected()
			return
		}
		if ns := c.recover(r, s); ns != nil {
			log.LogAttrs(r.ctx, slog.LevelInfo, "webpubsub client: connection recovered")
			s = ns
			c.setSession(s)
			continue
		}
		disconnected()
		if r.ctx.Err() != nil {
			return
		}
		if !c.cfg.autoReconnect {
			stopErr = fmt.Errorf("%w: %w", ErrConnectionLost, lostErr)
			return
		}
		ns, err := c.reconnect(r)
		if err != nil {
			stopErr = err
			if r.ctx.Err() != nil {
				stopErr = nil
			}
			return
		}
		s = ns
		lostErr, lostMsg = nil, ""
		c.onNewConnection(r, s)
	}
}

// recover tries to reopen the same connection after s dropped; nil when not possible.
func (c *Client) recover(r *run, s *session) *session {
	// The service ends a connection on purpose with a disconnected message (REST close,
	// shutdown) or close status 1008 (not recoverable); neither can be recovered.
	// A message over the read limit would be redelivered by a recovery.
	if !c.cfg.protocol.reliable() || s.closeStatus() == websocket.StatusPolicyViolation ||
		s.closeStatus() == websocket.StatusNormalClosure || s.disconnectedMsg != "" || s.tooBig {
		return nil
	}
	c.mu.Lock()
	connID, token, base := c.connID, c.token, c.baseURL
	c.mu.Unlock()
	if connID == "" || token == "" {
		return nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil
	}
	q := u.Query() // the recovery URL: client-protocol.md §5.3
	q.Set(wire.QueryConnectionID, connID)
	q.Set(wire.QueryReconnectionToken, token)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(r.ctx, c.cfg.recoveryWindow)
	defer cancel()
	// Our last acks may have been lost with the connection: acknowledge again.
	c.seq.recovered()
	for {
		ns, err := c.dial(ctx, u.String(), true)
		if err == nil {
			return ns
		}
		c.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "webpubsub client: recovery attempt failed", slog.Any("error", err))
		if !sleep(ctx, c.cfg.recoveryDelay) {
			return nil
		}
	}
}

// reconnect opens a new connection, retrying per the reconnect policy.
func (c *Client) reconnect(r *run) (*session, error) {
	for n := 1; ; n++ {
		s, err := c.connectNew(r.ctx)
		if err == nil {
			return s, nil
		}
		c.cfg.logger.LogAttrs(r.ctx, slog.LevelWarn, "webpubsub client: reconnect failed", slog.Int("attempt", n), slog.Any("error", err))
		d, ok := c.cfg.reconnect.next(n)
		if !ok {
			return nil, fmt.Errorf("webpubsub: reconnect gave up after %d attempts: %w", n, err)
		}
		if !sleep(r.ctx, d) {
			return nil, r.ctx.Err()
		}
	}
}

// Stop closes the connection (normal closure), cancels any recovery or reconnect, waits for
// the handler funcs to finish (OnDisconnected, then OnStopped run last), and returns. Waiting
// operations fail with [ErrStopped]. ctx bounds the wait; Stop on a client that is not
// running returns nil. Stop may be called from a handler func: it then returns once the
// connection is closed, and OnDisconnected and OnStopped run after that func returns (the
// same happens to a Stop on another goroutine while a handler func is running).
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	r := c.run
	c.mu.Unlock()
	if r == nil {
		return nil
	}
	r.cancel()
	select {
	case <-r.done:
		return nil
	case <-r.closed:
		if r.queue.running.Load() {
			// Maybe called from a handler func: the remaining funcs (OnStopped) run on
			// this very goroutine once it returns, so waiting for them would never end.
			return nil
		}
	case <-ctx.Done():
		return fmt.Errorf("webpubsub: stop: %w", ctx.Err())
	}
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webpubsub: stop: %w", ctx.Err())
	}
}

// sleep waits d or until ctx ends; it reports whether the full delay passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
