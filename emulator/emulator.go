package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/webpubsub-go/webpubsub/service"
)

// DefaultAccessKey is the access key an [Emulator] uses when [Config.AccessKey] is empty.
//
// It is a fixed, publicly documented development key (like the well-known keys of other local
// emulators), so that a connection string can be written into test configuration once. It
// protects nothing: never use it for a service reachable by others.
const DefaultAccessKey = "ZW11bGF0b3ItZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="

// Defaults of the limits in [Config]. Each is documented on its field.
const (
	DefaultMaxMessageSize    = 1 << 20 // 1 MiB, the service's frame limit
	DefaultSendQueueMessages = 1000
	DefaultSendQueueBytes    = 16 << 20
	DefaultUpstreamTimeout   = 20 * time.Second
	DefaultRecoveryWindow    = 60 * time.Second
	DefaultKeepAliveInterval = 20 * time.Second
	DefaultMaxConnections    = 50000
	DefaultMaxStateSize      = 8 << 10
)

// DefaultBearerTokenAudiences is the default of [Config.BearerTokenAudiences]: the audience
// of a Microsoft Entra ID token requested for the Web PubSub scope
// (https://webpubsub.azure.com/.default, the scope every SDK uses).
var DefaultBearerTokenAudiences = []string{"https://webpubsub.azure.com"}

// Config configures an [Emulator]. The zero value is valid: every field has a documented
// default.
type Config struct {
	// Endpoint is the public base URL clients and service clients use to reach the emulator,
	// e.g. "http://127.0.0.1:7071". It is the Endpoint of [Emulator.ConnectionString] and the
	// host that token audiences must name. Optional: when empty, audiences are checked against
	// the Host of each request and ConnectionString uses "http://127.0.0.1".
	Endpoint string

	// AccessKey signs and verifies every token and upstream signature. Optional; default
	// [DefaultAccessKey] (public, development only).
	AccessKey string

	// SecondaryAccessKey is an optional second key (like the service's secondary key): tokens
	// signed with it are accepted and upstream calls carry a signature for both keys.
	SecondaryAccessKey string

	// Hubs holds the settings of the hubs known at start (event handlers, anonymous policy).
	// Hubs not listed are created on first use with no event handlers and anonymous
	// connections denied. See [Emulator.SetHub].
	Hubs []service.HubSettings

	// Logger receives connection and upstream logs. Optional; nil discards them.
	Logger *slog.Logger

	// HTTPClient makes the upstream calls. Optional; default a dedicated client without
	// redirects. Its own Timeout, if any, applies in addition to UpstreamTimeout.
	HTTPClient *http.Client

	// UpstreamTimeout bounds each upstream call (abuse-protection OPTIONS included). Default
	// [DefaultUpstreamTimeout]. A call that does not answer in time counts as failed.
	UpstreamTimeout time.Duration

	// MaxMessageSize is the largest WebSocket message a client may send, in bytes. Larger
	// messages close the connection with status 1009. Default [DefaultMaxMessageSize] (1 MiB,
	// as the service).
	MaxMessageSize int64

	// SendQueueMessages bounds the messages queued for one connection and not yet written (for
	// reliable connections: not yet acknowledged). A connection over the bound is closed
	// (slow consumer), never waited for. Default [DefaultSendQueueMessages] (1000, the
	// service's reliable buffer).
	SendQueueMessages int

	// SendQueueBytes bounds the bytes of those queued messages likewise. Default
	// [DefaultSendQueueBytes] (16 MiB).
	SendQueueBytes int64

	// RecoveryWindow is how long a reliable connection whose WebSocket dropped stays
	// recoverable. Default [DefaultRecoveryWindow] (0 means the default); values between 0
	// and 30 s are raised to 30 s; a negative value disables recovery: a reliable connection
	// then ends when its WebSocket drops, like any other. A recovery request is refused
	// (close 1008) when recovery is disabled or more than RecoveryWindow passed since the
	// drop, whether or not the emulator has noticed the drop yet.
	RecoveryWindow time.Duration

	// KeepAliveInterval is the interval of the WebSocket pings the emulator sends; a client
	// that does not answer within the interval is dropped. Default
	// [DefaultKeepAliveInterval]; negative disables pings.
	KeepAliveInterval time.Duration

	// MaxConnections bounds the concurrent connections (live and recoverable) of the whole
	// emulator; handshakes over it get 429. Default [DefaultMaxConnections].
	MaxConnections int

	// InsecureAcceptBearerTokens makes the REST API accept Microsoft Entra ID access tokens
	// (what service.NewClient with an azcore.TokenCredential sends) WITHOUT VERIFYING THEIR
	// SIGNATURE: the emulator cannot reach Entra ID to check them, so any well-formed JWT
	// whose aud is one of [Config.BearerTokenAudiences] and whose exp (required) and nbf are
	// current is let through, with every permission. Anyone who can reach the emulator can
	// then forge such a token. Off by default: tokens signed with the access key are always
	// accepted, Entra tokens are refused with 401 and a message naming this field. The first
	// accepted bearer token is logged at Warn level.
	InsecureAcceptBearerTokens bool

	// BearerTokenAudiences are the aud values accepted with InsecureAcceptBearerTokens,
	// compared case-insensitively and without trailing slashes. Default
	// [DefaultBearerTokenAudiences].
	BearerTokenAudiences []string

	// MaxStateSize bounds the connection state (ce-connectionState) an upstream may set, in
	// bytes. A larger state makes the upstream answer count as failed. Default
	// [DefaultMaxStateSize].
	MaxStateSize int
}

// Emulator is a local Web PubSub service: an [http.Handler] serving the client WebSocket
// endpoint (/client/hubs/{hub}, /client/?hub={hub}) and the REST API (/api/...), and calling
// the configured upstream event handlers. Create it with [New]; it is safe for concurrent use.
type Emulator struct {
	cfg      Config
	endpoint *url.URL // nil when Config.Endpoint is empty
	keys     []string
	log      *slog.Logger
	client   *http.Client
	now      func() time.Time

	mu       sync.RWMutex
	hubs     map[string]*hub // key: lower-case hub name
	settings map[string]service.HubSettings
	nconns   int // live and recoverable connections, guarded by mu

	keepAliveRunning bool // guarded by mu

	bearerWarn sync.Once // the Warn of the first accepted unverified bearer token

	validMu   sync.Mutex
	validated map[string]bool // abuse-protection results per validation URL

	async inflight // non-blocking upstream events in flight
}

var _ http.Handler = (*Emulator)(nil)

// ErrInvalidConfig is returned by [New] for a configuration it cannot use.
var ErrInvalidConfig = errors.New("webpubsub: invalid emulator config")

// New returns an Emulator for cfg (nil = all defaults). It fails when cfg.Endpoint is not an
// absolute http(s) URL or a hub setting has no name.
func New(cfg *Config) (*Emulator, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	e := &Emulator{
		hubs:      make(map[string]*hub),
		settings:  make(map[string]service.HubSettings),
		validated: make(map[string]bool),
		now:       time.Now,
	}
	if c.Endpoint != "" {
		u, err := url.Parse(strings.TrimSuffix(c.Endpoint, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.Join(ErrInvalidConfig, errors.New("webpubsub: Endpoint must be an absolute http or https URL, got "+c.Endpoint))
		}
		u.Path, u.RawPath, u.RawQuery, u.Fragment = "", "", "", ""
		e.endpoint = u
		c.Endpoint = u.String()
	}
	if c.AccessKey == "" {
		c.AccessKey = DefaultAccessKey
	}
	e.keys = []string{c.AccessKey}
	if c.SecondaryAccessKey != "" {
		e.keys = append(e.keys, c.SecondaryAccessKey)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	e.log = c.Logger
	if c.UpstreamTimeout <= 0 {
		c.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.SendQueueMessages <= 0 {
		c.SendQueueMessages = DefaultSendQueueMessages
	}
	if c.SendQueueBytes <= 0 {
		c.SendQueueBytes = DefaultSendQueueBytes
	}
	switch {
	case c.RecoveryWindow == 0:
		c.RecoveryWindow = DefaultRecoveryWindow
	case c.RecoveryWindow > 0 && c.RecoveryWindow < 30*time.Second:
		c.RecoveryWindow = 30 * time.Second
	}
	if c.KeepAliveInterval == 0 {
		c.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if len(c.BearerTokenAudiences) == 0 {
		c.BearerTokenAudiences = slices.Clone(DefaultBearerTokenAudiences)
	}
	if c.MaxStateSize <= 0 {
		c.MaxStateSize = DefaultMaxStateSize
	}
	e.client = c.HTTPClient
	if e.client == nil {
		e.client = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	for _, s := range c.Hubs {
		if s.Hub == "" {
			return nil, errors.Join(ErrInvalidConfig, errors.New("webpubsub: hub settings without a hub name"))
		}
		e.settings[strings.ToLower(s.Hub)] = s
	}
	e.cfg = c
	return e, nil
}

// ConnectionString returns the connection string of the emulator for the service client:
// "Endpoint=<Endpoint>;AccessKey=<AccessKey>;Version=1.0;". With an empty Config.Endpoint the
// endpoint is http://127.0.0.1.
func (e *Emulator) ConnectionString() string {
	ep := e.cfg.Endpoint
	if ep == "" {
		ep = "http://127.0.0.1"
	}
	return "Endpoint=" + ep + ";AccessKey=" + e.cfg.AccessKey + ";Version=1.0;"
}

// SetHub replaces the settings of hub s.Hub (names are case-insensitive), effective for the
// next event. Cached abuse-protection results are dropped, so changed upstream URLs are
// validated again.
func (e *Emulator) SetHub(s service.HubSettings) {
	e.mu.Lock()
	e.settings[strings.ToLower(s.Hub)] = s
	e.mu.Unlock()
	e.validMu.Lock()
	clear(e.validated)
	e.validMu.Unlock()
}

// hubSettings returns the settings of the named hub (zero settings when none were set).
func (e *Emulator) hubSettings(name string) service.HubSettings {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.settings[strings.ToLower(name)]
	if !ok {
		s.Hub = name
	}
	return s
}

// ServeHTTP routes client WebSocket handshakes and REST calls.
//
//   - /client/hubs/{hub} and /client/?hub={hub}: the client endpoint.
//   - /clients/mqtt/hubs/{hub}: 501, MQTT is not emulated.
//   - /api/...: the REST API.
//   - anything else: 404.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, "/api/") || p == "/api":
		e.serveREST(w, r)
	case strings.HasPrefix(p, "/client/hubs/"):
		hubName, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(p, "/client/hubs/"), "/"))
		if err != nil || strings.Contains(hubName, "/") {
			http.Error(w, "invalid hub name", http.StatusBadRequest)
			return
		}
		e.serveClient(w, r, hubName)
	case p == "/client" || p == "/client/":
		e.serveClient(w, r, r.URL.Query().Get("hub"))
	case strings.HasPrefix(p, "/clients/mqtt/"), strings.HasPrefix(p, "/clients/socketio/"):
		http.Error(w, "this client protocol is not supported by the emulator", http.StatusNotImplemented)
	default:
		http.NotFound(w, r)
	}
}

// newID returns a random URL-safe identifier of n random bytes.
func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// inflight counts running goroutines; unlike sync.WaitGroup, adding while someone waits is
// allowed.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func (f *inflight) add() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 {
		close(f.idle)
	}
}

// wait returns a channel closed when nothing is in flight.
func (f *inflight) wait() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	return f.idle
}
