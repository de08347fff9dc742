package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/webpubsub-go/webpubsub/service"
)

// Defaults of [Options].
const (
	// DefaultMaxBodyBytes is the default limit of an event body (1 MiB, the largest
	// message the service accepts from clients).
	DefaultMaxBodyBytes = 1 << 20
	// DefaultNotificationTimeout bounds a notification func (connected, disconnected,
	// group joined/left).
	DefaultNotificationTimeout = 30 * time.Second
)

// Options configures a [Hub]. A nil *Options is the zero value, which fails in [NewHub]
// because no key is known: give ConnectionStrings or Keys, or opt out of signature checks
// explicitly.
type Options struct {
	// ConnectionStrings are the connection strings of the service instances allowed to
	// call this hub (primary and secondary, several resources, replicas). Their access
	// keys verify ce-signature, their endpoint hosts are the default allowed origins, and
	// the first one builds the bundled service client. Optional when Keys is set.
	ConnectionStrings []string

	// Keys is an extra key source read on every request, merged with the keys of
	// ConnectionStrings; use a [*KeyRing] to rotate keys while serving. Optional.
	Keys KeySource

	// InsecureSkipSignatureValidation turns ce-signature checks off. Only for an app
	// behind another authentication (Entra upstream auth, a private network); the hub
	// logs a warning at creation. Without it, a hub with no key fails to build.
	InsecureSkipSignatureValidation bool

	// AllowedOrigins are the hosts (host or host:port, scheme and path ignored) that the
	// abuse-protection handshake accepts. Default: the endpoint hosts of
	// ConnectionStrings. Matching is exact (case-insensitive; a port on only one side is
	// ignored), never by prefix.
	AllowedOrigins []string

	// AllowAnyOrigin answers every abuse-protection handshake with "*". Explicit opt-in;
	// logged as a warning at creation.
	AllowAnyOrigin bool

	// MaxBodyBytes limits an event body; larger requests get 413. Default
	// [DefaultMaxBodyBytes].
	MaxBodyBytes int64

	// MaxStateBytes budgets the encoded ce-connectionState the hub writes; State.Set
	// beyond it fails with [ErrStateTooLarge]. Default [DefaultMaxStateBytes]; negative
	// means no budget.
	MaxStateBytes int

	// StateFormat selects the connection-state encoding written back. Default
	// [StateFormatJS], compatible with the official JavaScript SDK.
	StateFormat StateFormat

	// NotificationTimeout bounds each notification func through its context, which is
	// detached from the request so a service hang-up does not cut it short. Default
	// [DefaultNotificationTimeout].
	NotificationTimeout time.Duration

	// OnError is called with every error or recovered panic of a notification func and
	// with every non-typed error or panic of a blocking func (those the service only sees
	// as a 500). It runs on the request's goroutine and must not block for long. Optional.
	OnError func(ctx context.Context, ev *ConnectionContext, err error)

	// Logger receives the hub's logs: Debug per event, Warn for refused requests, Error
	// for failing or panicking funcs. Default: discard.
	Logger *slog.Logger

	// Client is the service client that events expose through [ConnectionContext.Client].
	// Default: built from the first connection string with ClientOptions.
	Client *service.Client

	// ClientOptions configure the default Client. Optional.
	ClientOptions *service.ClientOptions
}

// Hub receives the upstream events of one Web PubSub hub. It is an [http.Handler] that
// ignores the URL path: mount it where the service's URL template points. Create it with
// [NewHub], register funcs, then serve; registering after the first request, a nil func or
// registering the same event twice panics (like [http.ServeMux]). A Hub is safe for
// concurrent use.
type Hub struct {
	name        string
	keys        KeySource // nil: signatures not checked
	origins     []string
	anyOrigin   bool
	maxBody     int64
	maxState    int
	stateFormat StateFormat
	notifyLimit time.Duration
	onError     func(context.Context, *ConnectionContext, error)
	log         *slog.Logger
	client      *service.Client

	serving atomic.Bool
	sigs    *sigCache

	connect      ConnectFunc
	events       map[string]EventFunc
	anyEvent     EventFunc
	connected    ConnectedFunc
	disconnected DisconnectedFunc
	joined       GroupFunc
	left         GroupFunc

	warnedMu sync.Mutex
	warned   map[string]bool // unhandled event names already logged
}

var _ http.Handler = (*Hub)(nil)

// NewHub returns a hub named name (the ce-hub the service sends, compared
// case-insensitively). It fails when name is empty, a connection string is invalid, or no
// access key is known (no ConnectionStrings with keys, no Keys) unless
// Options.InsecureSkipSignatureValidation is set.
func NewHub(name string, opts *Options) (*Hub, error) {
	if opts == nil {
		opts = &Options{}
	}
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("webpubsub: hub name is empty")
	}
	h := &Hub{
		name:        name,
		anyOrigin:   opts.AllowAnyOrigin,
		maxBody:     opts.MaxBodyBytes,
		maxState:    opts.MaxStateBytes,
		stateFormat: opts.StateFormat,
		notifyLimit: opts.NotificationTimeout,
		onError:     opts.OnError,
		log:         opts.Logger,
		client:      opts.Client,
		events:      map[string]EventFunc{},
		sigs:        newSigCache(),
		warned:      map[string]bool{},
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.maxState == 0 {
		h.maxState = DefaultMaxStateBytes
	}
	if h.notifyLimit <= 0 {
		h.notifyLimit = DefaultNotificationTimeout
	}
	var static []string
	for i, s := range opts.ConnectionStrings {
		cs, err := service.ParseConnectionString(s)
		if err != nil {
			return nil, fmt.Errorf("webpubsub: hub %q: connection string %d: %w", name, i+1, err)
		}
		static = append(static, cs.AccessKey)
		if u, err := url.Parse(cs.Endpoint); err == nil && len(opts.AllowedOrigins) == 0 {
			h.origins = append(h.origins, normalizeHost(u.Host))
		}
		if h.client == nil && i == 0 {
			c, err := service.NewClientFromConnectionString(s, name, opts.ClientOptions)
			if err != nil {
				return nil, fmt.Errorf("webpubsub: hub %q: service client: %w", name, err)
			}
			h.client = c
		}
	}
	for _, o := range opts.AllowedOrigins {
		h.origins = append(h.origins, originHost(o))
	}
	switch {
	case opts.InsecureSkipSignatureValidation:
		h.log.LogAttrs(context.Background(), slog.LevelWarn,
			"webpubsub: signature validation is OFF (Options.InsecureSkipSignatureValidation): anyone who can reach this hub can send it events",
			slog.String("hub", name))
	case len(static) == 0 && opts.Keys == nil:
		return nil, fmt.Errorf("webpubsub: hub %q: no access key: set Options.ConnectionStrings or Options.Keys, or opt out with Options.InsecureSkipSignatureValidation", name)
	case opts.Keys == nil:
		h.keys = NewKeyRing(static...)
	default:
		h.keys = mergedKeys{static: static, extra: opts.Keys}
	}
	if h.anyOrigin {
		h.log.LogAttrs(context.Background(), slog.LevelWarn,
			"webpubsub: abuse protection accepts any origin (Options.AllowAnyOrigin)", slog.String("hub", name))
	} else if len(h.origins) == 0 {
		h.log.LogAttrs(context.Background(), slog.LevelWarn,
			"webpubsub: no allowed origin: every abuse-protection handshake will be refused; set Options.AllowedOrigins or ConnectionStrings",
			slog.String("hub", name))
	}
	return h, nil
}

// Name returns the hub name given to [NewHub].
func (h *Hub) Name() string { return h.name }

// Client returns the hub's bundled service client, or nil when it has none.
func (h *Hub) Client() *service.Client { return h.client }

// originHost reduces an allowed-origin setting ("https://Host:443/x", "host") to a host.
func originHost(o string) string {
	o = strings.TrimSpace(o)
	if i := strings.Index(o, "://"); i >= 0 {
		o = o[i+3:]
	}
	if i := strings.IndexAny(o, "/?#"); i >= 0 {
		o = o[:i]
	}
	return normalizeHost(o)
}
