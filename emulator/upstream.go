package emulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

// Content types of upstream requests.
const (
	contentTypeSystem = "application/json; charset=utf-8"
	contentTypeJSON   = "application/json"
	contentTypeText   = "text/plain"
	contentTypeBinary = "application/octet-stream"
)

// Upstream failures. The errors of upstream calls wrap one of them.
var (
	// ErrUpstreamValidation: the abuse-protection OPTIONS handshake of the event handler
	// failed (no 2xx, or no WebHook-Allowed-Origin naming the emulator or "*").
	ErrUpstreamValidation = errors.New("webpubsub: upstream abuse protection validation failed")
	// ErrUpstreamUnreachable: the request failed or timed out ([Config.UpstreamTimeout]).
	ErrUpstreamUnreachable = errors.New("webpubsub: upstream unreachable")
	// ErrUpstreamStatus: the upstream answered with a status other than 2xx.
	ErrUpstreamStatus = errors.New("webpubsub: upstream returned an error status")
	// ErrUpstreamResponse: the upstream answered 2xx with a body or state the emulator
	// cannot use (too large, not the JSON a connect answer must be).
	ErrUpstreamResponse = errors.New("webpubsub: invalid upstream response")
)

// statusError is an upstream answer with a non-2xx status.
type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string {
	return "webpubsub: upstream returned status " + strconv.Itoa(e.status)
}
func (e *statusError) Unwrap() error { return ErrUpstreamStatus }

// ceHeaders are the connection facts every event request carries.
type ceHeaders struct {
	hub, connID, userID, subprotocol, state string
}

// upstreamReply is a 2xx answer of an upstream.
type upstreamReply struct {
	status      int
	body        []byte
	contentType string
	state       string
	setState    bool // the answer carried ce-connectionState
}

// findHandler returns the first event handler of s that wants event (system: connect,
// connected, disconnected, joined, left; otherwise a user event).
func findHandler(s service.HubSettings, event string, system bool) (service.EventHandler, bool) {
	for _, h := range s.EventHandlers {
		if system && h.WantsSystemEvent(event) || !system && h.WantsUserEvent(event) {
			return h, true
		}
	}
	return service.EventHandler{}, false
}

// origin is the WebHook-Request-Origin the emulator sends: the host (and port) of its
// public endpoint.
func (e *Emulator) origin() string {
	if e.endpoint != nil {
		return e.endpoint.Host
	}
	return "127.0.0.1"
}

// validate runs the abuse-protection handshake for h in hub once per resolved validation URL
// and caches successes (until SetHub).
func (e *Emulator) validate(ctx context.Context, h service.EventHandler, hub string) error {
	u := h.ExpandURL(hub, wire.EventValidate)
	e.validMu.Lock()
	ok := e.validated[u]
	e.validMu.Unlock()
	if ok {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUpstreamValidation, err)
	}
	req.Header.Set(wire.HeaderRequestOrigin, e.origin())
	req.Header.Set(wire.HeaderAwpsVersion, wire.AwpsVersion)
	req.Header.Set(wire.HeaderHub, hub)
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUpstreamValidation, u, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: %s answered %d", ErrUpstreamValidation, u, resp.StatusCode)
	}
	if !e.originAllowed(resp.Header.Values(wire.HeaderAllowedOrigin)) {
		return fmt.Errorf("%w: %s: abuse protection missing allowed origins (got %q)", ErrUpstreamValidation, u, resp.Header.Values(wire.HeaderAllowedOrigin))
	}
	e.validMu.Lock()
	e.validated[u] = true
	e.validMu.Unlock()
	return nil
}

// originAllowed reports whether the WebHook-Allowed-Origin values name "*" or the emulator's
// host (with or without port), case-insensitively.
func (e *Emulator) originAllowed(values []string) bool {
	origin := e.origin()
	hostOnly := origin
	if i := strings.LastIndexByte(origin, ':'); i > 0 && !strings.HasSuffix(origin, "]") {
		hostOnly = origin[:i]
	}
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "*" || strings.EqualFold(part, origin) || strings.EqualFold(part, hostOnly) {
				return true
			}
		}
	}
	return false
}

// call sends one event to h: abuse protection first, then the signed POST. It returns the 2xx
// answer or an error wrapping one of the ErrUpstream* sentinels (a *statusError for non-2xx).
func (e *Emulator) call(ctx context.Context, h service.EventHandler, ceType, event string, hd ceHeaders, contentType string, body []byte) (*upstreamReply, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.UpstreamTimeout)
	defer cancel()
	start := time.Now()
	reply, err := e.post(ctx, h, ceType, event, hd, contentType, body)
	attrs := []any{"hub", hd.hub, "event", event, "connectionId", hd.connID, "duration", time.Since(start).Round(time.Microsecond)}
	if err != nil {
		e.log.Warn("upstream call failed", append(attrs, "error", err)...)
	} else {
		e.log.Info("upstream call", append(attrs, "status", reply.status)...)
	}
	return reply, err
}

func (e *Emulator) post(ctx context.Context, h service.EventHandler, ceType, event string, hd ceHeaders, contentType string, body []byte) (*upstreamReply, error) {
	if err := e.validate(ctx, h, hd.hub); err != nil {
		return nil, err
	}
	u := h.ExpandURL(hd.hub, event)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUpstreamUnreachable, err)
	}
	hdr := req.Header
	hdr.Set("Content-Type", contentType)
	hdr.Set(wire.HeaderRequestOrigin, e.origin())
	hdr.Set(wire.HeaderAwpsVersion, wire.AwpsVersion)
	hdr.Set(wire.HeaderSpecVersion, wire.SpecVersion)
	hdr.Set(wire.HeaderType, ceType)
	hdr.Set(wire.HeaderSource, "/hubs/"+hd.hub+"/client/"+hd.connID)
	hdr.Set(wire.HeaderID, newID(12))
	hdr.Set(wire.HeaderTime, e.now().UTC().Format(time.RFC3339))
	hdr.Set(wire.HeaderHub, hd.hub)
	hdr.Set(wire.HeaderConnectionID, hd.connID)
	hdr.Set(wire.HeaderEventName, event)
	hdr.Set(wire.HeaderSignature, wire.Sign(hd.connID, e.keys...))
	if hd.userID != "" {
		hdr.Set(wire.HeaderUserID, hd.userID)
	}
	if hd.subprotocol != "" {
		hdr.Set(wire.HeaderSubprotocol, hd.subprotocol)
	}
	if hd.state != "" {
		hdr.Set(wire.HeaderConnectionState, hd.state)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUpstreamUnreachable, u, err)
	}
	defer resp.Body.Close()
	limit := e.cfg.MaxMessageSize
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer of %s: %v", ErrUpstreamUnreachable, u, err)
	}
	if resp.StatusCode/100 != 2 {
		if len(data) > 4096 {
			data = data[:4096]
		}
		return nil, &statusError{status: resp.StatusCode, body: string(data)}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: the answer of %s exceeds %d bytes", ErrUpstreamResponse, u, limit)
	}
	r := &upstreamReply{status: resp.StatusCode, body: data, contentType: resp.Header.Get("Content-Type")}
	if vs, ok := headerValues(resp.Header, wire.HeaderConnectionState); ok {
		if len(vs) > 1 {
			return nil, fmt.Errorf("%w: more than one %s header", ErrUpstreamResponse, wire.HeaderConnectionState)
		}
		if len(vs[0]) > e.cfg.MaxStateSize {
			return nil, fmt.Errorf("%w: connection state of %d bytes exceeds %d", ErrUpstreamResponse, len(vs[0]), e.cfg.MaxStateSize)
		}
		r.state, r.setState = vs[0], true
	}
	return r, nil
}

// headerValues looks a header up case-insensitively.
func headerValues(h http.Header, name string) ([]string, bool) {
	vs, ok := h[http.CanonicalHeaderKey(name)]
	return vs, ok
}

// async sends a non-blocking event (connected, disconnected, joined, left) for c when the
// hub's settings want it. Events of one connection reach the upstream in order.
func (c *conn) async(event, ceType string, body []byte) {
	e := c.h.e
	h, ok := findHandler(e.hubSettings(c.h.name), event, true)
	if !ok {
		return
	}
	done := make(chan struct{})
	c.mu.Lock()
	prev := c.asyncTail
	c.asyncTail = done
	hd := c.headersLocked()
	c.mu.Unlock()
	e.async.add()
	go func() {
		defer e.async.done()
		defer close(done)
		<-prev
		_, _ = e.call(context.Background(), h, ceType, event, hd, contentTypeSystem, body)
	}()
}

// headersLocked snapshots the connection's event headers; callers hold c.mu.
func (c *conn) headersLocked() ceHeaders {
	return ceHeaders{hub: c.h.name, connID: c.id, userID: c.userID, subprotocol: c.subprotocol, state: c.state}
}

func (c *conn) connected() { c.async(wire.EventConnected, wire.TypeConnected, []byte("{}")) }

func (c *conn) disconnected(reason string) {
	c.async(wire.EventDisconnected, wire.TypeDisconnected, append(append([]byte(`{"reason":`), appendJSONString(nil, reason)...), '}'))
}

func (c *conn) groupPresence(group string, joined bool) {
	body := append(append([]byte(`{"group":`), appendJSONString(nil, group)...), '}')
	if joined {
		c.async(wire.EventJoined, wire.TypeJoined, body)
	} else {
		c.async(wire.EventLeft, wire.TypeLeft, body)
	}
}

// userEvent sends a blocking user event of c (after c's earlier non-blocking events) and
// applies a returned connection state. matched is false when no event handler wants event.
func (c *conn) userEvent(event, contentType string, body []byte) (reply *upstreamReply, matched bool, err error) {
	e := c.h.e
	h, ok := findHandler(e.hubSettings(c.h.name), event, false)
	if !ok {
		return nil, false, nil
	}
	c.mu.Lock()
	tail := c.asyncTail
	c.mu.Unlock()
	<-tail
	c.mu.Lock()
	hd := c.headersLocked()
	c.mu.Unlock()
	c.blocks.Add(1)
	c.blocked.Store(true)
	reply, err = e.call(context.Background(), h, wire.UserEventType(event), event, hd, contentType, body)
	c.blocked.Store(false)
	if err == nil && reply.setState {
		c.mu.Lock()
		c.state = reply.state
		c.mu.Unlock()
	}
	return reply, true, err
}
