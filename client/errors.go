package client

import (
	"errors"
	"fmt"
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

// DialError is returned by Start (and passed to OnDisconnected) when the WebSocket handshake
// failed; StatusCode is the HTTP status of the refused upgrade, 0 when no response arrived.
type DialError struct {
	// StatusCode is the HTTP status of the refused upgrade; 0 when no response arrived.
	StatusCode int
	// Err is the underlying error.
	Err error
}

// Error describes the failed handshake.
func (e *DialError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("webpubsub: connect: HTTP %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("webpubsub: connect: %v", e.Err)
}

// Unwrap returns the underlying error.
func (e *DialError) Unwrap() error { return e.Err }
