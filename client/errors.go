package client

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors of the client. Match them with errors.Is.
var (
	// ErrNotStarted is returned by operations called before Start or after the client stopped.
	ErrNotStarted = errors.New("webpubsub: client is not started")
	// ErrStopped is returned by operations that were waiting when the client stopped, and by
	// Start when Stop was called during it.
	ErrStopped = errors.New("webpubsub: client stopped")
	// ErrAlreadyStarted is returned by Start on a client that is running.
	ErrAlreadyStarted = errors.New("webpubsub: client already started")
	// ErrConnectionLost is the cause of an operation's failure when the connection dropped
	// before the service acknowledged it and the retry policy allowed no further attempt.
	ErrConnectionLost = errors.New("webpubsub: connection lost before the ack")
	// ErrMessageTooLarge is returned when an encoded request exceeds Options.MaxMessageSize.
	ErrMessageTooLarge = errors.New("webpubsub: message too large")
	// ErrInvalidArgument is wrapped by errors about empty or malformed group or event names.
	ErrInvalidArgument = errors.New("webpubsub: invalid argument")
)

// Names of the errors the service reports in an ack. The service may add names; compare
// [AckError.Name] with these constants and treat others as failures.
const (
	// AckErrorForbidden: the connection lacks the role for the request. Never retried.
	AckErrorForbidden = "Forbidden"
	// AckErrorInternalServerError: a transient service error. Retried with the same ack id.
	AckErrorInternalServerError = "InternalServerError"
	// AckErrorDuplicate: the ack id was already processed. The client reports success with
	// Duplicated set; it never surfaces as an error.
	AckErrorDuplicate = "Duplicate"
	// AckErrorNotFound is listed by the older protocol schema.
	AckErrorNotFound = "NotFound"
	// AckErrorTimeout is listed by the older protocol schema. Retried with the same ack id.
	AckErrorTimeout = "Timeout"
)

// AckError is the error the service returned in the ack of a request: its Name (such as
// [AckErrorForbidden]) is stable, its Message is for humans. Match it with errors.As.
type AckError struct {
	// AckID is the ack id of the failed request.
	AckID uint64
	// Name is the error name from the service.
	Name string
	// Message is the service's description.
	Message string
}

// Error returns "webpubsub: ack <id>: <name>: <message>".
func (e *AckError) Error() string {
	return fmt.Sprintf("webpubsub: ack %d: %s: %s", e.AckID, e.Name, e.Message)
}

// retryable reports whether the request may succeed if sent again with the same ack id.
func (e *AckError) retryable() bool {
	return e.Name == AckErrorInternalServerError || e.Name == AckErrorTimeout
}

// MaxDialReasonBytes bounds [DialError.Reason]: a longer refusal reason is cut at a
// character boundary and ends with "…". (The WebSocket library keeps at most the first 1 KiB
// of a refused handshake's body.)
const MaxDialReasonBytes = 512

// DialError is returned by Start (and passed to OnDisconnected) when the WebSocket handshake
// failed; StatusCode is the HTTP status of the refused upgrade, 0 when no response arrived,
// and Reason the refusal reason the service sent with it (for a connect handler's refusal,
// the reason the handler gave).
type DialError struct {
	// StatusCode is the HTTP status of the refused upgrade; 0 when no response arrived.
	StatusCode int
	// Reason is the body of the refused upgrade as one line of text: control characters
	// (line breaks included) become spaces, runs of spaces fold into one, format characters
	// (bidirectional overrides, zero-width ones) are dropped, invalid UTF-8 becomes U+FFFD,
	// and it is cut to [MaxDialReasonBytes]. Empty when the response had no body.
	// It comes from the service (or from a proxy on the way): show it, do not parse it.
	Reason string
	// Err is the underlying error.
	Err error
}

// Error describes the failed handshake: "webpubsub: connect: HTTP <status>: <reason>: <err>",
// without the parts that are unknown.
func (e *DialError) Error() string {
	switch {
	case e.StatusCode != 0 && e.Reason != "":
		return fmt.Sprintf("webpubsub: connect: HTTP %d: %s: %v", e.StatusCode, e.Reason, e.Err)
	case e.StatusCode != 0:
		return fmt.Sprintf("webpubsub: connect: HTTP %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("webpubsub: connect: %v", e.Err)
}

// Unwrap returns the underlying error.
func (e *DialError) Unwrap() error { return e.Err }

// dialReason turns the body of a refused handshake into [DialError.Reason].
func dialReason(body []byte) string {
	var b strings.Builder
	space := false // a space is pending: written before the next visible character
	for len(body) > 0 {
		r, size := utf8.DecodeRune(body) // an invalid byte decodes as U+FFFD
		body = body[size:]
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r): // bidi overrides, zero-width characters
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) <= MaxDialReasonBytes {
		return s
	}
	cut := MaxDialReasonBytes - len("…")
	for !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
