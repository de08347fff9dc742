package handler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors for requests the hub refuses before any user func runs. They are
// wrapped with %w; match them with [errors.Is].
var (
	// ErrInvalidSignature means ce-signature is missing or matches none of the keys.
	ErrInvalidSignature = errors.New("webpubsub: invalid or missing ce-signature")
	// ErrOriginNotAllowed means the abuse-protection handshake named no allowed origin.
	ErrOriginNotAllowed = errors.New("webpubsub: request origin not allowed")
	// ErrMissingOrigin means an OPTIONS request carried no WebHook-Request-Origin.
	ErrMissingOrigin = errors.New("webpubsub: missing WebHook-Request-Origin header")
	// ErrNotCloudEvent means the request is not a binary-mode CloudEvent (no
	// ce-specversion, or structured mode).
	ErrNotCloudEvent = errors.New("webpubsub: not a binary-mode CloudEvents request")
	// ErrMissingAttribute means a required ce-* attribute is absent.
	ErrMissingAttribute = errors.New("webpubsub: missing CloudEvents attribute")
	// ErrUnknownEventType means ce-type is not an upstream event type this hub knows.
	ErrUnknownEventType = errors.New("webpubsub: unknown event type")
	// ErrHubMismatch means ce-hub names another hub.
	ErrHubMismatch = errors.New("webpubsub: event for another hub")
	// ErrUnsupportedContentType means a user event has a body type other than text/plain,
	// application/json or application/octet-stream (MQTT user events accept any type).
	ErrUnsupportedContentType = errors.New("webpubsub: unsupported content type")
	// ErrInvalidBody means an event body could not be decoded.
	ErrInvalidBody = errors.New("webpubsub: invalid event body")
	// ErrMethodNotAllowed means the request was neither POST nor OPTIONS.
	ErrMethodNotAllowed = errors.New("webpubsub: method not allowed")
	// ErrInvalidState means ce-connectionState could not be decoded.
	ErrInvalidState = errors.New("webpubsub: invalid connection state")
	// ErrStateTooLarge means the encoded connection state exceeds the hub's budget
	// ([Options.MaxStateBytes]).
	ErrStateTooLarge = errors.New("webpubsub: connection state too large")
)

// Error is the one typed error a user func returns to reject a request with a given
// status: 400, 401 or 500 for the generic constructors, the status of the MQTT code table
// for [MQTTError]. Build it with [BadRequest], [Unauthorized], [ServerError] or
// [MQTTError]; the zero value means 500.
type Error struct {
	// Status is the HTTP status answered to the service (0 means 500).
	Status int
	// Reason is sent to the service as the text body (and as the MQTT reason string).
	Reason string
	// MQTTCode is the CONNACK code answered to MQTT connects; 0 derives it from Status
	// and the client's protocol version, as the official SDKs do.
	MQTTCode MQTTConnectCode
	// MQTTUserProperties go into the CONNACK of MQTT 5 clients.
	MQTTUserProperties []MQTTUserProperty
}

// Error returns "webpubsub: <status text>: <reason>".
func (e *Error) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("webpubsub: %d %s", e.status(), http.StatusText(e.status()))
	}
	return fmt.Sprintf("webpubsub: %d %s: %s", e.status(), http.StatusText(e.status()), e.Reason)
}

func (e *Error) status() int {
	if e.Status == 0 {
		return http.StatusInternalServerError
	}
	return e.Status
}

// BadRequest returns an [Error] with status 400 (JS fail(400), .NET UserError).
func BadRequest(reason string) *Error { return &Error{Status: http.StatusBadRequest, Reason: reason} }

// Unauthorized returns an [Error] with status 401: the connect is refused and the client's
// handshake gets 401.
func Unauthorized(reason string) *Error {
	return &Error{Status: http.StatusUnauthorized, Reason: reason}
}

// ServerError returns an [Error] with status 500 whose reason is sent to the service.
func ServerError(reason string) *Error {
	return &Error{Status: http.StatusInternalServerError, Reason: reason}
}

// MQTTError returns an [Error] that rejects an MQTT connect with code; the HTTP status
// follows the code table of the official SDKs (for example 135 NotAuthorized → 401).
func MQTTError(code MQTTConnectCode, reason string) *Error {
	return &Error{Status: code.HTTPStatus(), Reason: reason, MQTTCode: code}
}

// StatusOf maps an error to the HTTP status the hub answers: the status of an [*Error];
// 413 for [*http.MaxBytesError]; 401 for [ErrInvalidSignature]; 400 for the other request
// sentinels; 415 for [ErrUnsupportedContentType]; 405 for [ErrMethodNotAllowed]; 503 when
// the request context ended (the service gave up); 500 for anything else. A nil error is 200.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.status()
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge
	}
	switch {
	case errors.Is(err, ErrInvalidSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrUnsupportedContentType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrOriginNotAllowed), errors.Is(err, ErrMissingOrigin),
		errors.Is(err, ErrNotCloudEvent), errors.Is(err, ErrMissingAttribute),
		errors.Is(err, ErrUnknownEventType), errors.Is(err, ErrHubMismatch),
		errors.Is(err, ErrInvalidBody):
		return http.StatusBadRequest
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// publicReason is the text body for err: the reason of an [*Error], the sentinel's text
// for request errors the service should see, else only the status text (details stay in
// the log).
func publicReason(err error, status int) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusUnsupportedMediaType,
		http.StatusMethodNotAllowed:
		return err.Error()
	}
	return http.StatusText(status)
}
