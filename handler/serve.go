package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/webpubsub-go/webpubsub/internal/hubctx"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// ServeHTTP answers one upstream request: OPTIONS runs the abuse-protection handshake;
// POST checks ce-signature (before reading the body), decodes the CloudEvent, calls the
// registered func and writes its answer. Any other method gets 405.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, nil)
}

func init() {
	hubctx.Serve = func(hub any, w http.ResponseWriter, r *http.Request, val any) {
		hub.(*Hub).serve(w, r, val)
	}
}

// funcContext is the context the funcs of a request get when the request came with a
// value through [hubctx.Serve]: the request's context plus that value. It lives in the
// event's ConnectionContext, so attaching the value allocates nothing.
type funcContext struct {
	context.Context
	val any
}

// Value returns the value for [hubctx.Key], and asks the request's context otherwise.
func (c *funcContext) Value(key any) any {
	if _, ok := key.(hubctx.Key); ok {
		return c.val
	}
	return c.Context.Value(key)
}

// serve is ServeHTTP; when val is not nil, the funcs' context carries it (see hubctx).
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, val any) {
	if !h.serving.Load() {
		h.serving.Store(true)
	}
	switch r.Method {
	case http.MethodOptions:
		h.serveOptions(w, r)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "OPTIONS, POST")
		h.refuse(w, r, fmt.Errorf("%w: %s", ErrMethodNotAllowed, r.Method))
		return
	}
	sig, conn, err := h.verifySignature(r.Header)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	ev, err := h.decodeContext(r, sig, conn)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "webpubsub: event", slog.String("hub", h.name),
			slog.String("event", ev.c.EventName), slog.String("connectionId", ev.c.ConnectionID), slog.String("userId", ev.c.UserID))
	}
	ctx := r.Context()
	if val != nil {
		ev.c.fctx = funcContext{Context: ctx, val: val}
		ctx = &ev.c.fctx
	}
	switch ev.kind {
	case kindConnect:
		h.serveConnect(ctx, w, r, ev.connect)
	case kindUser:
		h.serveUser(ctx, w, r, ev.user)
	default:
		h.serveNotification(ctx, w, r, &ev)
	}
}

// refuse answers a request rejected before any user func ran.
func (h *Hub) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "webpubsub: request refused", slog.String("hub", h.name),
		slog.String("event", header(r.Header, hdrEventName)), slog.String("connectionId", header(r.Header, hdrConnectionID)),
		slog.Int("status", status), slog.Any("error", err))
	writeText(w, status, publicReason(err, status))
}

// failed answers a func's error (or an error found after it ran) and reports it.
func (h *Hub) failed(ctx context.Context, w http.ResponseWriter, c *ConnectionContext, err error) {
	status := StatusOf(err)
	h.report(ctx, c, err, status, false)
	writeText(w, status, publicReason(err, status))
}

// report logs a func's failure: typed rejections below 500 at Warn, everything else at
// Error. OnError gets untyped errors and panics, and every error when always is set
// (notifications).
func (h *Hub) report(ctx context.Context, c *ConnectionContext, err error, status int, always bool) {
	_, typed := errors.AsType[*Error](err)
	level := slog.LevelError
	if typed && status < 500 {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("hub", h.name), slog.String("event", c.EventName),
		slog.String("connectionId", c.ConnectionID), slog.String("userId", c.UserID),
		slog.Int("status", status), slog.Any("error", err)}
	if p, ok := errors.AsType[*PanicError](err); ok {
		attrs = append(attrs, slog.String("stack", string(p.Stack)))
	}
	h.log.LogAttrs(ctx, level, "webpubsub: func failed", attrs...)
	if (always || !typed) && h.onError != nil {
		h.onError(ctx, c, err)
	}
}

// PanicError is the error a recovered panic of a user func becomes.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error returns "webpubsub: func panicked: <value>".
func (e *PanicError) Error() string { return fmt.Sprintf("webpubsub: func panicked: %v", e.Value) }

// recoverInto turns a panic into *PanicError in *err; http.ErrAbortHandler is re-panicked.
func recoverInto(err *error) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	*err = &PanicError{Value: p, Stack: debug.Stack()}
}

func (h *Hub) callConnect(ctx context.Context, req *ConnectRequest) (resp *ConnectResponse, err error) {
	defer recoverInto(&err)
	return h.connect(ctx, req)
}

func callEvent(ctx context.Context, fn EventFunc, ev *UserEvent) (resp *EventResponse, err error) {
	defer recoverInto(&err)
	return fn(ctx, ev)
}

func (h *Hub) serveConnect(ctx context.Context, w http.ResponseWriter, r *http.Request, req *ConnectRequest) {
	if err := h.decodeConnect(w, r, req); err != nil {
		h.refuse(w, r, err)
		return
	}
	mqtt := req.ClientProtocol == ClientProtocolMQTT
	if h.connect == nil {
		if mqtt {
			writeBody(w, http.StatusNoContent, "", nil)
		} else {
			writeBody(w, http.StatusOK, "", nil)
		}
		return
	}
	resp, err := h.callConnect(ctx, req)
	if err == nil {
		err = h.writeState(w, &req.State)
	}
	if err != nil {
		if !mqtt {
			h.failed(ctx, w, &req.ConnectionContext, err)
			return
		}
		status := StatusOf(err)
		h.report(ctx, &req.ConnectionContext, err, status, false)
		body := mqttErrorBody{MQTT: mqttErrorFields{Reason: publicReason(err, status)}}
		version := 0
		if req.MQTTConnect != nil {
			version = req.MQTTConnect.ProtocolVersion
		}
		body.MQTT.Code = mqttCodeFor(status, version)
		if e, ok := errors.AsType[*Error](err); ok {
			if e.MQTTCode != 0 {
				body.MQTT.Code = e.MQTTCode
			}
			body.MQTT.UserProperties = e.MQTTUserProperties
		}
		delete(w.Header(), hdrState)
		_ = writeJSON(w, status, body)
		return
	}
	if resp == nil {
		writeBody(w, http.StatusNoContent, "", nil)
		return
	}
	if err := writeJSON(w, http.StatusOK, resp); err != nil {
		delete(w.Header(), hdrState)
		h.failed(ctx, w, &req.ConnectionContext, err)
	}
}

func (h *Hub) serveUser(ctx context.Context, w http.ResponseWriter, r *http.Request, ev *UserEvent) {
	if err := h.decodeUser(w, r, ev); err != nil {
		h.refuse(w, r, err)
		return
	}
	fn := h.userEventFunc(ev.EventName)
	if fn == nil {
		if h.warnOnce(ev.EventName) {
			h.log.LogAttrs(r.Context(), slog.LevelWarn, "webpubsub: no func for user event; answering 200 with no body",
				slog.String("hub", h.name), slog.String("event", ev.EventName))
		}
		writeBody(w, http.StatusOK, "", nil)
		return
	}
	resp, err := callEvent(ctx, fn, ev)
	if err == nil {
		err = h.writeState(w, &ev.State)
	}
	if err != nil {
		delete(w.Header(), hdrState)
		h.failed(ctx, w, &ev.ConnectionContext, err)
		return
	}
	if resp == nil {
		writeBody(w, http.StatusNoContent, "", nil)
		return
	}
	hd := w.Header()
	for _, p := range resp.MQTTUserProperties {
		hd[wire.HeaderMQTTPrefix+p.Name] = append(hd[wire.HeaderMQTTPrefix+p.Name], p.Value)
	}
	ct := resp.ContentType
	if ct == "" {
		ct = resp.DataType.ContentType()
	}
	writeBody(w, http.StatusOK, ct, resp.Data)
}

// serveNotification runs connected, disconnected, joined and left funcs with a deadline
// on a context detached from the request, and answers 200 (500 when the func failed).
func (h *Hub) serveNotification(ctx context.Context, w http.ResponseWriter, r *http.Request, ec *eventContext) {
	run, err := h.decodeNotification(w, r, ec)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if run == nil {
		writeBody(w, http.StatusOK, "", nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.notifyLimit)
	defer cancel()
	err = func() (err error) {
		defer recoverInto(&err)
		return run(ctx)
	}()
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("webpubsub: %s func overran its %v deadline: %w", ec.c.EventName, h.notifyLimit, ctx.Err())
	}
	if err != nil {
		status := http.StatusInternalServerError
		h.report(context.WithoutCancel(ctx), ec.c, err, status, true)
		writeText(w, status, http.StatusText(status))
		return
	}
	writeBody(w, http.StatusOK, "", nil)
}
