package handler

import (
	"context"
	"encoding/json"
	"fmt"
)

// ConnectFunc decides a connect: return a response (nil = accept with defaults, 204) or
// an error ([Unauthorized], [BadRequest], [ServerError], [MQTTError]; any other error is
// a 500 with a generic body). The request's State may be set for the new connection.
type ConnectFunc func(ctx context.Context, req *ConnectRequest) (*ConnectResponse, error)

// EventFunc handles a user event: return a reply for the client (nil = nothing, 204) or
// an error, after which the service closes the client's connection.
type EventFunc func(ctx context.Context, ev *UserEvent) (*EventResponse, error)

// ConnectedFunc is notified after a connection is established. Its error goes to
// [Options.OnError] and the log.
type ConnectedFunc func(ctx context.Context, ev *ConnectedEvent) error

// DisconnectedFunc is notified after a connection ended. Its error goes to
// [Options.OnError] and the log.
type DisconnectedFunc func(ctx context.Context, ev *DisconnectedEvent) error

// GroupFunc is notified when a connection joined or left a group (group presence events,
// sent only when the event handler setting asks for them).
type GroupFunc func(ctx context.Context, ev *GroupEvent) error

func (h *Hub) mustRegister(what string, isNil bool, exists bool) {
	if h.serving.Load() {
		panic("webpubsub: " + what + " registered after the hub started serving")
	}
	if isNil {
		panic("webpubsub: nil func for " + what)
	}
	if exists {
		panic("webpubsub: " + what + " registered twice")
	}
}

// HandleConnect registers the connect func. Without one, a connect is accepted with the
// defaults the service derives from the client's token.
func (h *Hub) HandleConnect(fn ConnectFunc) {
	h.mustRegister("connect", fn == nil, h.connect != nil)
	h.connect = fn
}

// HandleEvent registers fn for the user event named name ("message" for plain WebSocket
// clients). Names match exactly.
func (h *Hub) HandleEvent(name string, fn EventFunc) {
	_, exists := h.events[name]
	h.mustRegister("event "+fmt.Sprintf("%q", name), fn == nil || name == "", exists)
	h.events[name] = fn
}

// HandleAnyEvent registers the fallback for user events that have no func of their own.
// Without it such events are answered 200 with an empty body and logged once per name.
func (h *Hub) HandleAnyEvent(fn EventFunc) {
	h.mustRegister("fallback event func", fn == nil, h.anyEvent != nil)
	h.anyEvent = fn
}

// HandleJSON registers fn for the user event named name and decodes its body as JSON into
// a T first; a body that does not decode is answered 400 (the service then closes the
// connection) and fn is not called.
func HandleJSON[T any](h *Hub, name string, fn func(ctx context.Context, ev *UserEvent, v T) (*EventResponse, error)) {
	if fn == nil {
		h.mustRegister("event "+fmt.Sprintf("%q", name), true, false)
	}
	h.HandleEvent(name, func(ctx context.Context, ev *UserEvent) (*EventResponse, error) {
		var v T
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			return nil, BadRequest(fmt.Sprintf("event %q: invalid JSON payload: %v", name, err))
		}
		return fn(ctx, ev, v)
	})
}

// OnConnected registers the connected notification.
func (h *Hub) OnConnected(fn ConnectedFunc) {
	h.mustRegister("connected", fn == nil, h.connected != nil)
	h.connected = fn
}

// OnDisconnected registers the disconnected notification.
func (h *Hub) OnDisconnected(fn DisconnectedFunc) {
	h.mustRegister("disconnected", fn == nil, h.disconnected != nil)
	h.disconnected = fn
}

// OnGroupJoined registers the group-joined notification.
func (h *Hub) OnGroupJoined(fn GroupFunc) {
	h.mustRegister("joined", fn == nil, h.joined != nil)
	h.joined = fn
}

// OnGroupLeft registers the group-left notification.
func (h *Hub) OnGroupLeft(fn GroupFunc) {
	h.mustRegister("left", fn == nil, h.left != nil)
	h.left = fn
}

// userEventFunc returns the func for a user event.
func (h *Hub) userEventFunc(name string) EventFunc {
	if fn, ok := h.events[name]; ok {
		return fn
	}
	return h.anyEvent
}

// warnOnce logs an unhandled event name once (bounded, so odd names cannot grow memory).
func (h *Hub) warnOnce(name string) bool {
	h.warnedMu.Lock()
	defer h.warnedMu.Unlock()
	if h.warned[name] || len(h.warned) >= 256 {
		return false
	}
	h.warned[name] = true
	return true
}
