package client

import (
	"context"
	"sync"
	"sync/atomic"
)

// ConnectedEvent reports a new connection: after Start, and after each reconnect that opened a
// new connection (not after a recovery of the same connection, where nothing was lost).
type ConnectedEvent struct {
	// ConnectionID is the service's id of the connection.
	ConnectionID string
	// UserID is the user id of the connection, empty for an anonymous one.
	UserID string
}

// DisconnectedEvent reports a connection that ended and could not be recovered (on the
// reliable protocol, recovery is tried first and is silent when it works), or that Stop closed.
type DisconnectedEvent struct {
	// ConnectionID is the id of the connection that ended.
	ConnectionID string
	// Message is the reason the service gave in its disconnected message, if any.
	Message string
	// Err is why the WebSocket ended (a close status, a network error), nil after Stop.
	Err error
}

// StoppedEvent reports that the client stopped: after Stop, when reconnecting is disabled and
// the connection was lost, or when the reconnect retry policy gave up. No event follows it.
type StoppedEvent struct {
	// Err is nil after Stop, otherwise why the client gave up.
	Err error
}

// ServerMessageEvent is a message from the server: REST sends to all, to a user or to the
// connection, and replies of the app to user events.
type ServerMessageEvent struct {
	// Data is the payload.
	Data Message
	// SequenceID is the message's sequence id on the reliable protocol, 0 otherwise.
	SequenceID uint64
}

// GroupMessageEvent is a message published to a group the connection is in.
type GroupMessageEvent struct {
	// Group is the group name.
	Group string
	// FromUserID is the user id of the publishing client; empty when the service did not
	// send it (REST publishes, anonymous publishers).
	FromUserID string
	// Data is the payload.
	Data Message
	// SequenceID is the message's sequence id on the reliable protocol, 0 otherwise.
	SequenceID uint64
}

// RejoinGroupFailedEvent reports a group that could not be joined again after a new
// connection.
type RejoinGroupFailedEvent struct {
	// Group is the group name.
	Group string
	// Err is why, often an [*AckError].
	Err error
}

// Handler func types. The context ends once the client stopped and its last func (OnStopped)
// returned; it may be passed to the client's operations and to Stop.
type (
	// ConnectedFunc handles [ConnectedEvent].
	ConnectedFunc func(ctx context.Context, ev *ConnectedEvent)
	// DisconnectedFunc handles [DisconnectedEvent].
	DisconnectedFunc func(ctx context.Context, ev *DisconnectedEvent)
	// StoppedFunc handles [StoppedEvent].
	StoppedFunc func(ctx context.Context, ev *StoppedEvent)
	// ServerMessageFunc handles [ServerMessageEvent].
	ServerMessageFunc func(ctx context.Context, ev *ServerMessageEvent)
	// GroupMessageFunc handles [GroupMessageEvent].
	GroupMessageFunc func(ctx context.Context, ev *GroupMessageEvent)
	// RejoinGroupFailedFunc handles [RejoinGroupFailedEvent].
	RejoinGroupFailedFunc func(ctx context.Context, ev *RejoinGroupFailedEvent)
)

// handlers holds the registered funcs; frozen at the first Start.
type handlers struct {
	connected         []ConnectedFunc
	disconnected      []DisconnectedFunc
	stopped           []StoppedFunc
	serverMessage     []ServerMessageFunc
	groupMessage      []GroupMessageFunc
	rejoinGroupFailed []RejoinGroupFailedFunc
}

// dispatch calls the funcs registered for ev, in registration order.
func (h *handlers) dispatch(ctx context.Context, ev any) {
	switch ev := ev.(type) {
	case *GroupMessageEvent:
		callAll(ctx, h.groupMessage, ev)
	case *ServerMessageEvent:
		callAll(ctx, h.serverMessage, ev)
	case *ConnectedEvent:
		callAll(ctx, h.connected, ev)
	case *DisconnectedEvent:
		callAll(ctx, h.disconnected, ev)
	case *RejoinGroupFailedEvent:
		callAll(ctx, h.rejoinGroupFailed, ev)
	case *StoppedEvent:
		callAll(ctx, h.stopped, ev)
	}
}

// callAll calls each func of fs with ev, in order.
func callAll[F ~func(context.Context, *E), E any](ctx context.Context, fs []F, ev *E) {
	for _, f := range fs {
		f(ctx, ev)
	}
}

// eventQueue carries events from the connection to the one goroutine that runs the handler
// funcs, in order. push never blocks; the reader calls waitRoom before queueing a message,
// which blocks while limit events are queued, except while a request waits for its ack (a
// handler may call JoinGroup or SendToGroup and then needs the reader to read the ack).
type eventQueue struct {
	mu      sync.Mutex
	items   []any
	closed  bool
	limit   int
	notify  chan struct{} // wakes the dispatcher
	room    chan struct{} // wakes a reader waiting for room
	running atomic.Bool   // a handler func is running
}

func newEventQueue(limit int) *eventQueue {
	return &eventQueue{limit: limit, notify: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// full reports whether limit events are queued.
func (q *eventQueue) full() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) >= q.limit && !q.closed
}

// waitRoom blocks while the queue is full and no request waits for an ack, or until done.
func (q *eventQueue) waitRoom(acks *ackManager, done <-chan struct{}) {
	for q.full() && acks.pending() == 0 {
		select {
		case <-q.room:
		case <-acks.registered:
		case <-done:
			return
		}
	}
}

// push appends ev; it reports false after close.
func (q *eventQueue) push(ev any) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, ev)
	q.mu.Unlock()
	signal(q.notify)
	return true
}

// close appends ev as the last event and refuses further ones.
func (q *eventQueue) close(last any) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, last)
		q.closed = true
	}
	q.mu.Unlock()
	signal(q.notify)
}

// run dispatches events until the queue is closed and drained.
func (q *eventQueue) run(ctx context.Context, h *handlers) {
	var batch []any
	for {
		q.mu.Lock()
		batch, q.items = q.items, batch[:0]
		closed := q.closed
		q.mu.Unlock()
		signal(q.room)
		for i, ev := range batch {
			q.running.Store(true)
			h.dispatch(ctx, ev)
			q.running.Store(false)
			batch[i] = nil
		}
		if closed && len(batch) == 0 {
			return
		}
		if len(batch) == 0 {
			<-q.notify
		}
	}
}

// signal wakes the one waiter of ch, a channel of capacity 1, without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
