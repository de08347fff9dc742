package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// ServeHTTP answers one upstream request: OPTIONS runs the abuse-protection handshake;
// POST checks ce-signature (before reading the body), decodes the CloudEvent, calls the
// registered func and writes its answer. Any other method gets 405.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	if err := h.checkSignature(r); err != nil {
		h.refuse(w, r, err)
		return
	}
	ev, err := h.decodeContext(r)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "webpubsub: event", slog.String("hub", h.name),
			slog.String("event", ev.EventName), slog.String("connectionId", ev.ConnectionID), slog.String("userId", ev.UserID))
	}
	switch ev.kind {
	case kindConnect:
		h.serveConnect(w, r, ev)
	case kindUser:
		h.serveUser(w, r, ev)
	default:
		h.serveNotification(w, r, ev)
	}
}

// CheckSignature verifies ce-signature of r against the hub's keys, reading only headers.
// It returns nil when the hub does not check signatures, else nil or an error wrapping
// [ErrInvalidSignature].
func (h *Hub) CheckSignature(r *http.Request) error { return h.checkSignature(r) }

func (h *Hub) checkSignature(r *http.Request) error {
	if h.keys == nil {
		return nil
	}
	sig := header(r.Header, hdrSignature)
	if sig == "" {
		return fmt.Errorf("%w: no %s header", ErrInvalidSignature, wire.HeaderSignature)
	}
	if !wire.VerifySignature(sig, header(r.Header, hdrConnectionID), h.keys.Keys()) {
		return fmt.Errorf("%w: no entry matches a configured key", ErrInvalidSignature)
	}
	return nil
}

// refuse answers a request rejected before any user func ran.
func (h *Hub) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "webpubsub: request refused", slog.String("hub", h.name),
		slog.String("event", header(r.Header, hdrEventName)), slog.String("connectionId", header(r.Header, hdrConnectionID)),
		slog.Int("status", status), slog.Any("error", err))
	writeText(w, status, publicReason(err, status))
}

// failed answers a func's error (or an error found after it ran) and reports untyped ones.
func (h *Hub) failed(w http.ResponseWriter, r *http.Request, ev *eventContext, err error) {
	status := StatusOf(err)
	h.report(r.Context(), ev, err, status)
	writeText(w, status, publicReason(err, status))
}

// report logs a func's failure and, for untyped errors, calls OnError.
func (h *Hub) report(ctx context.Context, ev *eventContext, err error, status int) {
	_, typed := errors.AsType[*Error](err)
	level := slog.LevelError
	if typed && status < 500 {
		level = slog.LevelInfo
	}
	h.log.LogAttrs(ctx, level, "webpubsub: func failed", slog.String("hub", h.name),
		slog.String("event", ev.EventName), slog.String("connectionId", ev.ConnectionID),
		slog.String("userId", ev.UserID), slog.Int("status", status), slog.Any("error", err))
	if !typed && h.onError != nil {
		h.onError(ctx, &ev.ConnectionContext, err)
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

func (h *Hub) serveConnect(w http.ResponseWriter, r *http.Request, ec *eventContext) {
	req := &ConnectRequest{ConnectionContext: ec.ConnectionContext}
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
	resp, err := h.callConnect(r.Context(), req)
	if err == nil {
		err = h.writeState(w, &req.State)
	}
	if err != nil {
		if !mqtt {
			h.failed(w, r, &eventContext{ConnectionContext: req.ConnectionContext}, err)
			return
		}
		status := StatusOf(err)
		h.report(r.Context(), &eventContext{ConnectionContext: req.ConnectionContext}, err, status)
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
		h.failed(w, r, ec, err)
	}
}

func (h *Hub) serveUser(w http.ResponseWriter, r *http.Request, ec *eventContext) {
	ev := &UserEvent{ConnectionContext: ec.ConnectionContext}
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
	resp, err := callEvent(r.Context(), fn, ev)
	if err == nil {
		err = h.writeState(w, &ev.State)
	}
	if err != nil {
		delete(w.Header(), hdrState)
		h.failed(w, r, ec, err)
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
func (h *Hub) serveNotification(w http.ResponseWriter, r *http.Request, ec *eventContext) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.notifyLimit)
	defer cancel()
	run, err := h.decodeNotification(w, r, ec)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	if run == nil {
		writeBody(w, http.StatusOK, "", nil)
		return
	}
	err = func() (err error) {
		defer recoverInto(&err)
		return run(ctx)
	}()
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("webpubsub: %s func overran its %v deadline: %w", ec.EventName, h.notifyLimit, ctx.Err())
	}
	if err != nil {
		status := http.StatusInternalServerError
		if _, ok := errors.AsType[*Error](err); !ok {
			// report calls OnError for untyped errors; typed ones are reported too.
		} else if h.onError != nil {
			h.onError(ctx, &ec.ConnectionContext, err)
		}
		h.report(ctx, ec, err, status)
		writeText(w, status, http.StatusText(status))
		return
	}
	writeBody(w, http.StatusOK, "", nil)
}
