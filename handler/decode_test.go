package handler_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func TestRequestRefused(t *testing.T) {
	msg := func(o *handlertest.Options) *http.Request { return handlertest.Message("chat", "x", o) }
	hdr := func(k, v string) *handlertest.Options { return &handlertest.Options{Header: http.Header{k: {v}}} }
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"no specversion", msg(hdr(wire.HeaderSpecVersion, "")), 400, "not a binary-mode CloudEvents request"},
		{"structured mode", msg(&handlertest.Options{Header: http.Header{"Content-Type": {"application/cloudevents+json"}, wire.HeaderSpecVersion: {""}}}), 400, "not a binary-mode"},
		{"structured mode with specversion", msg(hdr("Content-Type", "Application/CloudEvents+JSON; charset=utf-8")), 400, "structured content mode"},
		{"batch mode", msg(hdr("Content-Type", "application/cloudevents-batch+json")), 400, "structured content mode"},
		{"unknown specversion", msg(hdr(wire.HeaderSpecVersion, "2.0")), 400, `unsupported ce-specversion "2.0"`},
		{"specversion 0.3", msg(hdr(wire.HeaderSpecVersion, "0.3")), 200, ""},
		{"missing ce-type", msg(hdr(wire.HeaderType, "")), 400, "missing CloudEvents attribute: ce-type"},
		{"missing ce-hub", msg(hdr(wire.HeaderHub, "")), 400, "ce-hub"},
		{"other hub", handlertest.Message("lobby", "x", nil), 400, `ce-hub "lobby", this hub is "chat"`},
		{"hub name case-insensitive", handlertest.Message("CHAT", "x", nil), 200, ""},
		{"unknown type", msg(hdr(wire.HeaderType, "com.example.other")), 400, "unknown event type"},
		{"unknown system type", msg(hdr(wire.HeaderType, "azure.webpubsub.sys.restart")), 400, "unknown event type"},
		{"bare user prefix", msg(hdr(wire.HeaderType, "azure.webpubsub.user.")), 400, "unknown event type"},
		{"bad connect JSON", handlertest.Event("chat", "connect", wire.ContentTypeJSON, []byte("{"), &handlertest.Options{Header: http.Header{wire.HeaderType: {wire.TypeConnect}}}), 400, "invalid event body"},
		{"connect body of wrong shape", handlertest.Event("chat", "connect", wire.ContentTypeJSON, []byte(`{"claims":[1]}`), &handlertest.Options{Header: http.Header{wire.HeaderType: {wire.TypeConnect}}}), 400, "invalid event body"},
		{"bad disconnected JSON", handlertest.Event("chat", "disconnected", wire.ContentTypeJSON, []byte("]"), &handlertest.Options{Header: http.Header{wire.HeaderType: {wire.TypeDisconnected}}}), 400, "invalid event body"},
		{"bad group JSON", handlertest.Event("chat", "joined", wire.ContentTypeJSON, []byte(`{"group":1}`), &handlertest.Options{Header: http.Header{wire.HeaderType: {wire.TypeJoined}}}), 400, "invalid event body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, nil)
			called := false
			hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
				called = true
				return nil, nil
			})
			hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
				called = true
				return handler.TextResponse("ok"), nil
			})
			hub.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error { called = true; return nil })
			hub.OnGroupJoined(func(ctx context.Context, ev *handler.GroupEvent) error { called = true; return nil })
			rec := serve(hub, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%q)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus != 200 {
				if called {
					t.Error("func called for a refused request")
				}
				if !strings.Contains(rec.Body.String(), tt.wantBody) {
					t.Errorf("body = %q, want it to contain %q", rec.Body, tt.wantBody)
				}
			}
		})
	}
}

// chunked hides the length so the hub cannot refuse on Content-Length.
type chunked struct{ io.Reader }

func (chunked) Close() error { return nil }

func TestBodyLimit(t *testing.T) {
	const limit = 16
	tests := []struct {
		name       string
		size       int
		hideLength bool
		wantStatus int
	}{
		{"at limit", limit, false, 200},
		{"over limit by Content-Length", limit + 1, false, 413},
		{"at limit, chunked", limit, true, 200},
		{"over limit, chunked", limit + 1, true, 413},
		{"far over limit, chunked", 10 * limit, true, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, &handler.Options{MaxBodyBytes: limit})
			var got int
			hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
				got = len(ev.Data)
				return handler.TextResponse("ok"), nil
			})
			r := handlertest.Message("chat", strings.Repeat("a", tt.size), nil)
			if tt.hideLength {
				r.Body = chunked{r.Body}
				r.ContentLength = -1
			}
			rec := serve(hub, r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == 200 && got != tt.size {
				t.Errorf("func saw %d bytes, want %d", got, tt.size)
			}
			if tt.wantStatus == 413 && (got != 0 || rec.Body.String() != "Request Entity Too Large") {
				t.Errorf("func saw %d bytes, body %q", got, rec.Body)
			}
		})
	}
	t.Run("default", func(t *testing.T) {
		hub := newHub(t, nil)
		r := handlertest.Message("chat", strings.Repeat("a", handler.DefaultMaxBodyBytes+1), nil)
		if rec := serve(hub, r); rec.Code != 413 {
			t.Fatalf("status %d, want 413 above DefaultMaxBodyBytes", rec.Code)
		}
	})
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{handler.BadRequest("x"), 400},
		{handler.Unauthorized("x"), 401},
		{handler.ServerError("x"), 500},
		{&handler.Error{}, 500},
		{&handler.Error{Status: 418}, 418},
		{handler.MQTTError(handler.MQTTNotAuthorized, "x"), 401},
		{fmt.Errorf("wrapped: %w", handler.Unauthorized("x")), 401},
		{&http.MaxBytesError{Limit: 1}, 413},
		{fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1}), 413},
		{handler.ErrInvalidSignature, 401},
		{handler.ErrOriginNotAllowed, 400},
		{handler.ErrMissingOrigin, 400},
		{handler.ErrNotCloudEvent, 400},
		{handler.ErrMissingAttribute, 400},
		{handler.ErrUnknownEventType, 400},
		{handler.ErrHubMismatch, 400},
		{handler.ErrInvalidBody, 400},
		{handler.ErrUnsupportedContentType, 415},
		{handler.ErrMethodNotAllowed, 405},
		{context.Canceled, 503},
		{context.DeadlineExceeded, 503},
		{handler.ErrStateTooLarge, 500},
		{handler.ErrInvalidState, 500},
		{errors.New("other"), 500},
		{&handler.PanicError{Value: 1}, 500},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := handler.StatusOf(tt.err); got != tt.want {
				t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestMQTTCodeStatus(t *testing.T) {
	tests := []struct {
		code handler.MQTTConnectCode
		want int
	}{
		{handler.MQTTv311UnacceptableProtocolVersion, 400}, {handler.MQTTv311IdentifierRejected, 400},
		{handler.MQTTv311ServerUnavailable, 503}, {handler.MQTTv311BadUsernameOrPassword, 401},
		{handler.MQTTv311NotAuthorized, 401}, {99, 500},
		{handler.MQTTUnspecifiedError, 500}, {handler.MQTTMalformedPacket, 400}, {handler.MQTTProtocolError, 500},
		{handler.MQTTImplementationSpecificError, 400}, {handler.MQTTUnsupportedProtocolVersion, 400},
		{handler.MQTTClientIdentifierNotValid, 400}, {handler.MQTTBadUserNameOrPassword, 401},
		{handler.MQTTNotAuthorized, 401}, {handler.MQTTServerUnavailable, 500}, {handler.MQTTServerBusy, 500},
		{handler.MQTTBanned, 403}, {handler.MQTTBadAuthenticationMethod, 400}, {handler.MQTTTopicNameInvalid, 400},
		{handler.MQTTPacketTooLarge, 400}, {handler.MQTTQuotaExceeded, 429}, {handler.MQTTPayloadFormatInvalid, 400},
		{handler.MQTTRetainNotSupported, 400}, {handler.MQTTQoSNotSupported, 400}, {handler.MQTTUseAnotherServer, 500},
		{handler.MQTTServerMoved, 500}, {handler.MQTTConnectionRateExceeded, 429},
	}
	for _, tt := range tests {
		if strings.HasPrefix(tt.code.String(), "MQTTConnectCode(") && tt.code != 99 {
			t.Errorf("code %d has no name", tt.code)
		}
		if got := tt.code.HTTPStatus(); got != tt.want {
			t.Errorf("MQTTConnectCode(%d).HTTPStatus() = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestMQTTCodeString(t *testing.T) {
	if got := handler.MQTTNotAuthorized.String(); got != "NotAuthorized(135)" {
		t.Errorf("String = %q", got)
	}
	if got := handler.MQTTConnectCode(99).String(); got != "MQTTConnectCode(99)" {
		t.Errorf("String = %q", got)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *handler.Error
		want string
	}{
		{handler.Unauthorized("missing token"), "webpubsub: 401 Unauthorized: missing token"},
		{&handler.Error{}, "webpubsub: 500 Internal Server Error"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
