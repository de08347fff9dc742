package middleware

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/internal/hubctx"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// DefaultPath is the default [Config.Path], "/api/webpubsub/hubs/{hub}/": the path under
// which the official JavaScript handler mounts a hub. With it the service's URL template for hub "chat" is
// "https://<app>/api/webpubsub/hubs/chat/{event}".
const DefaultPath = wire.DefaultHandlerPath

// Errors wrapped by [Config.ToMiddleware] for a configuration it cannot use (see also
// [ErrInvalidPath]).
var (
	// ErrNoHub means Config.Hubs is empty.
	ErrNoHub = errors.New("webpubsub: middleware needs at least one hub")
	// ErrNilHub means Config.Hubs holds a nil hub.
	ErrNilHub = errors.New("webpubsub: middleware hub is nil")
	// ErrDuplicateHub means two hubs of Config.Hubs have the same name, ignoring case.
	ErrDuplicateHub = errors.New("webpubsub: two hubs of the middleware have the same name")
)

// Errors the middleware refuses a Web PubSub call with, as the Internal error of the
// *echo.HTTPError it returns (match with [errors.Is]; *echo.HTTPError unwraps to it). A call
// whose ce-hub differs from the hub of its path wraps [handler.ErrHubMismatch].
var (
	// ErrUnknownHub means the path or ce-hub names a hub the middleware does not serve (404).
	ErrUnknownHub = errors.New("webpubsub: no such hub is served here")
	// ErrNoHubHeader means several hubs share the path and the call has no ce-hub (400).
	ErrNoHubHeader = errors.New("webpubsub: missing ce-hub header")
)

// Config configures the Web PubSub middleware. Build it once with [Config.ToMiddleware]
// (or [WebPubSubWithConfig]); the zero value of each optional field selects its default.
type Config struct {
	// Skipper, when it returns true, sends the request to the next handler untouched.
	// Optional; default: skip nothing.
	Skipper echomw.Skipper

	// Hubs are the hubs served. Required: at least one; names must differ (ignoring case,
	// as the service's hub names do).
	Hubs []*handler.Hub

	// Path is the path pattern under which the hubs receive upstream calls. It is matched
	// against the request's full URL path (not relative to an Echo group), segment by
	// segment, ignoring case, as a prefix: "/api/webpubsub/hubs/{hub}/" matches
	// "/api/webpubsub/hubs/chat" and "/api/webpubsub/hubs/chat/connect".
	//
	// "{hub}", as a whole segment, stands for the hub name: the hub is chosen by the path,
	// and a call whose ce-hub header names another hub is refused. Without "{hub}" every hub
	// shares the path and the ce-hub header chooses. "{event}", as a whole segment, matches
	// any event name, for URL templates such as "https://<app>/eventhandler/{event}"; its
	// value is not compared with the event (the ce-eventName header is authoritative).
	//
	// Optional; default [DefaultPath].
	Path string

	// Logger receives a Warn line for every Web PubSub call the middleware refuses (no such
	// hub, hub mismatch) naming the cause. Optional; default: discard.
	Logger *slog.Logger
}

// WebPubSub returns a middleware serving hubs under [DefaultPath]. It panics if hubs is
// empty, holds nil or two hubs of the same name.
func WebPubSub(hubs ...*handler.Hub) echo.MiddlewareFunc {
	return WebPubSubWithConfig(Config{Hubs: hubs})
}

// WebPubSubWithConfig returns a middleware for cfg. It panics if cfg is invalid; use
// [Config.ToMiddleware] to get the error instead.
func WebPubSubWithConfig(cfg Config) echo.MiddlewareFunc {
	mw, err := cfg.ToMiddleware()
	if err != nil {
		panic(err)
	}
	return mw
}

// ToMiddleware validates cfg, fills its defaults and returns the middleware.
//
// The middleware handles a request when the Skipper does not skip it, its path matches
// Path, and it is a Web PubSub call: it carries a ce-awpsversion or a WebHook-Request-Origin
// header. Every other request goes to the next handler untouched. A Web PubSub call goes to
// the hub its path or ce-hub header names, with the echo.Context reachable through
// [EchoContext]; the hub writes the answer (abuse-protection handshake, signature check,
// event, errors). A call that names no served hub ends in an *echo.HTTPError (404, or 400
// when several hubs share the path and ce-hub is missing) and a Warn log line.
func (cfg Config) ToMiddleware() (echo.MiddlewareFunc, error) {
	m, err := newMux(cfg)
	if err != nil {
		return nil, err
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if m.skipper(c) {
				return next(c)
			}
			return m.serve(c, next)
		}
	}, nil
}

// URLTemplate returns the event handler URL template to configure on the service for hub
// when the app is reachable at baseURL (for example "https://app.example.com"): Path with
// hub for {hub}, and "{event}" appended when Path has no {event}. The path part is built
// from the same rules ToMiddleware applies, so an invalid Path yields an error.
func (cfg Config) URLTemplate(baseURL, hub string) (string, error) {
	p, err := compilePath(cmp.Or(cfg.Path, DefaultPath))
	if err != nil {
		return "", err
	}
	return strings.TrimRight(baseURL, "/") + p.expand(hub), nil
}

// mux is a built middleware: the compiled path and the hubs by name.
type mux struct {
	skipper echomw.Skipper
	path    pattern
	hubs    []*handler.Hub
	logger  *slog.Logger
}

func newMux(cfg Config) (*mux, error) {
	if len(cfg.Hubs) == 0 {
		return nil, ErrNoHub
	}
	p, err := compilePath(cmp.Or(cfg.Path, DefaultPath))
	if err != nil {
		return nil, err
	}
	m := &mux{
		skipper: cfg.Skipper,
		path:    p,
		hubs:    cfg.Hubs,
		logger:  cfg.Logger,
	}
	if m.skipper == nil {
		m.skipper = echomw.DefaultSkipper
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	seen := make(map[string]bool, len(cfg.Hubs))
	for i, h := range cfg.Hubs {
		if h == nil {
			return nil, fmt.Errorf("%w (Hubs[%d])", ErrNilHub, i)
		}
		key := strings.ToLower(h.Name())
		if seen[key] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateHub, h.Name())
		}
		seen[key] = true
	}
	return m, nil
}

// Canonical forms of the headers read on every request, so that the lookups below index the
// header map directly (http.Header.Get would canonicalise, and allocate, on every call).
var (
	keyAwpsVersion   = http.CanonicalHeaderKey(wire.HeaderAwpsVersion)
	keyRequestOrigin = http.CanonicalHeaderKey(wire.HeaderRequestOrigin)
	keyHub           = http.CanonicalHeaderKey(wire.HeaderHub)
)

// isWebPubSubCall reports whether r carries one of the headers every upstream call of the
// service has.
func isWebPubSubCall(r *http.Request) bool {
	return len(r.Header[keyAwpsVersion]) > 0 || len(r.Header[keyRequestOrigin]) > 0
}

func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (m *mux) serve(c echo.Context, next echo.HandlerFunc) error {
	r := c.Request()
	pathHub, ok := m.path.match(r.URL.Path)
	if !ok || !isWebPubSubCall(r) {
		return next(c)
	}
	hub, he := m.pick(r, pathHub)
	if he != nil {
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "webpubsub: upstream call refused by middleware",
			slog.String("hub", headerValue(r.Header, keyHub)),
			slog.String("path", r.URL.Path),
			slog.String("method", r.Method),
			slog.Any("error", he.Message))
		return he
	}
	if hub == nil { // an OPTIONS handshake that several hubs may answer
		return m.handshakeAny(c)
	}
	serveHub(c, hub)
	return nil
}

// serveHub hands the request to hub with c reachable through EchoContext.
// The hub attaches c to the funcs' context itself, so the request is not copied.
func serveHub(c echo.Context, hub *handler.Hub) {
	hubctx.Serve(hub, c.Response(), c.Request(), c)
}

// pick chooses the hub for a Web PubSub call. It returns nil, nil for an OPTIONS handshake
// without ce-hub on a path several hubs share.
func (m *mux) pick(r *http.Request, pathHub string) (*handler.Hub, *echo.HTTPError) {
	ceHub := headerValue(r.Header, keyHub)
	if m.path.hasHub {
		hub := m.lookup(pathHub)
		if hub == nil {
			return nil, refusal(http.StatusNotFound, ErrUnknownHub,
				fmt.Sprintf("webpubsub: no hub named %q is served at this path", pathHub))
		}
		if ceHub != "" && !strings.EqualFold(ceHub, hub.Name()) {
			return nil, refusal(http.StatusNotFound, handler.ErrHubMismatch,
				fmt.Sprintf("webpubsub: the call is for hub %q but this path serves hub %q", ceHub, hub.Name()))
		}
		return hub, nil
	}
	if ceHub == "" {
		if len(m.hubs) == 1 {
			return m.hubs[0], nil
		}
		if r.Method == http.MethodOptions {
			return nil, nil
		}
		return nil, refusal(http.StatusBadRequest, ErrNoHubHeader,
			fmt.Sprintf("webpubsub: the call has no %s header to choose among the %d hubs of this path", wire.HeaderHub, len(m.hubs)))
	}
	hub := m.lookup(ceHub)
	if hub == nil {
		return nil, refusal(http.StatusNotFound, ErrUnknownHub,
			fmt.Sprintf("webpubsub: no hub named %q is served at this path", ceHub))
	}
	return hub, nil
}

// refusal is the *echo.HTTPError for a refused call: msg (the reason, for the service and
// the log) as Message, the sentinel cause as Internal.
func refusal(status int, cause error, msg string) *echo.HTTPError {
	return echo.NewHTTPError(status, msg).WithInternal(cause)
}

// lookup finds a hub by name, ignoring case.
func (m *mux) lookup(name string) *handler.Hub {
	for _, h := range m.hubs { // few hubs: a scan with EqualFold does not allocate
		if strings.EqualFold(h.Name(), name) {
			return h
		}
	}
	return nil
}
