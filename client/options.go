package client

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// Protocol is the WebSocket subprotocol the client speaks.
type Protocol string

// Supported subprotocols.
const (
	// ProtocolJSONReliable is json.reliable.webpubsub.azure.v1, the default: sequence ids,
	// sequence acks and recovery of the same connection after a drop.
	ProtocolJSONReliable Protocol = wire.SubprotocolJSONReliable
	// ProtocolJSON is json.webpubsub.azure.v1: no sequence ids; a drop means a new connection.
	ProtocolJSON Protocol = wire.SubprotocolJSON
)

// reliable reports whether p numbers its messages and supports recovery.
func (p Protocol) reliable() bool { return p == ProtocolJSONReliable }

// Defaults of [Options].
const (
	DefaultRecoveryWindow      = 30 * time.Second
	DefaultRecoveryDelay       = time.Second
	DefaultKeepAliveInterval   = 20 * time.Second
	DefaultKeepAliveTimeout    = 120 * time.Second
	DefaultSequenceAckInterval = time.Second
	DefaultSequenceAckAhead    = 300
	DefaultMaxMessageSize      = 1 << 20
	DefaultReadLimit           = 16 << 20
	DefaultHandshakeTimeout    = 30 * time.Second
	DefaultMaxPendingEvents    = 4096
)

// Options configures a [Client]. The zero value (and nil) means the defaults listed per field,
// which match the official JavaScript client except where noted.
type Options struct {
	// Protocol is the subprotocol. Default [ProtocolJSONReliable].
	Protocol Protocol

	// DisableAutoReconnect stops the client (OnStopped) when a connection is lost and cannot
	// be recovered, instead of opening a new connection. Default false: reconnect.
	DisableAutoReconnect bool
	// DisableAutoRejoinGroups keeps the client from joining again, after a new connection,
	// the groups it joined through JoinGroup. Default false: rejoin. (After a recovery the
	// service keeps the groups; nothing is rejoined.)
	DisableAutoRejoinGroups bool

	// ReconnectRetry paces new connections after an unrecoverable drop. Default: unlimited
	// retries, exponential from 1s to 30s. (The JS client waits a fixed 1s.)
	ReconnectRetry RetryOptions
	// MessageRetry paces resending a request whose ack reported a transient error
	// (InternalServerError, Timeout) or whose connection dropped before the ack; the request
	// is resent with the same ack id so that the service can discard a duplicate. Default: 3
	// retries, exponential from 1s to 30s. Forbidden and other errors are never retried.
	MessageRetry RetryOptions

	// RecoveryWindow bounds how long the client tries to recover a dropped reliable
	// connection before it gives up and opens a new one. Default 30s.
	RecoveryWindow time.Duration
	// RecoveryDelay is the pause between recovery attempts. Default 1s.
	RecoveryDelay time.Duration

	// KeepAliveInterval is the period of the application-level ping. Default 20s; negative
	// disables it.
	KeepAliveInterval time.Duration
	// KeepAliveTimeout closes the connection (and so recovers or reconnects) when nothing
	// arrived for that long. Default 120s; negative disables it.
	KeepAliveTimeout time.Duration

	// SequenceAckInterval is the period of sequence acks on the reliable protocol (sent only
	// when something new arrived). Default 1s.
	SequenceAckInterval time.Duration
	// SequenceAckAhead sends a sequence ack at once when the largest received sequence id is
	// more than this many ahead of the last one acknowledged, so that fast streams never fill
	// the service's buffer of unacknowledged messages (1000). Default 300.
	SequenceAckAhead int

	// MaxMessageSize is the largest request frame the client sends, in bytes; larger requests
	// fail with [ErrMessageTooLarge] before anything is written. Default 1 MiB, the service's
	// limit.
	MaxMessageSize int
	// ReadLimit is the largest frame accepted from the service, in bytes; a larger one closes
	// the connection (status 1009), which then recovers or reconnects. Default 16 MiB.
	ReadLimit int64
	// HandshakeTimeout bounds one connection attempt: the WebSocket handshake and, for a new
	// connection, the wait for the connected message. Default 30s.
	HandshakeTimeout time.Duration

	// MaxPendingEvents bounds the messages received but not yet handed to the handler funcs.
	// When the funcs fall that far behind, the client stops reading the connection until they
	// catch up (the service then buffers, and drops a connection whose buffer overflows: 1000
	// messages on the reliable protocol, after which the client recovers or reconnects).
	// While a request waits for its ack (a func may call SendToGroup) the client keeps
	// reading, so that the ack can arrive; the queue may then exceed the bound. Default 4096.
	MaxPendingEvents int

	// HTTPClient performs the WebSocket handshake. Default: a client with no timeout of its
	// own (the handshake is bounded by HandshakeTimeout).
	HTTPClient *http.Client
	// Header is added to every handshake request (for example Authorization).
	Header http.Header

	// Logger receives connection life-cycle logs. Default: discard.
	Logger *slog.Logger
}

// config is Options with defaults applied.
type config struct {
	protocol         Protocol
	autoReconnect    bool
	autoRejoin       bool
	reconnect        retryPolicy
	message          retryPolicy
	recoveryWindow   time.Duration
	recoveryDelay    time.Duration
	keepAlive        time.Duration
	keepAliveTimeout time.Duration
	seqAckInterval   time.Duration
	seqAckAhead      uint64
	maxMessageSize   int
	readLimit        int64
	handshakeTimeout time.Duration
	maxPendingEvents int
	httpClient       *http.Client
	header           http.Header
	logger           *slog.Logger
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func newConfig(o *Options) (config, error) {
	if o == nil {
		o = &Options{}
	}
	c := config{
		protocol:         o.Protocol,
		autoReconnect:    !o.DisableAutoReconnect,
		autoRejoin:       !o.DisableAutoRejoinGroups,
		reconnect:        newRetryPolicy(o.ReconnectRetry, unlimitedRetries),
		message:          newRetryPolicy(o.MessageRetry, DefaultMessageRetries),
		recoveryWindow:   orDefault(o.RecoveryWindow, DefaultRecoveryWindow),
		recoveryDelay:    orDefault(o.RecoveryDelay, DefaultRecoveryDelay),
		keepAlive:        o.KeepAliveInterval,
		keepAliveTimeout: o.KeepAliveTimeout,
		seqAckInterval:   orDefault(o.SequenceAckInterval, DefaultSequenceAckInterval),
		seqAckAhead:      uint64(orDefault(o.SequenceAckAhead, DefaultSequenceAckAhead)),
		maxMessageSize:   orDefault(o.MaxMessageSize, DefaultMaxMessageSize),
		readLimit:        orDefault(o.ReadLimit, DefaultReadLimit),
		handshakeTimeout: orDefault(o.HandshakeTimeout, DefaultHandshakeTimeout),
		maxPendingEvents: orDefault(o.MaxPendingEvents, DefaultMaxPendingEvents),
		httpClient:       o.HTTPClient,
		header:           o.Header.Clone(),
		logger:           o.Logger,
	}
	switch c.protocol {
	case "":
		c.protocol = ProtocolJSONReliable
	case ProtocolJSONReliable, ProtocolJSON:
	default:
		return config{}, fmt.Errorf("%w: unsupported protocol %q", ErrInvalidArgument, c.protocol)
	}
	if c.keepAlive == 0 {
		c.keepAlive = DefaultKeepAliveInterval
	}
	if c.keepAliveTimeout == 0 {
		c.keepAliveTimeout = DefaultKeepAliveTimeout
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
