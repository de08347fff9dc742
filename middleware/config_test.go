package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func TestMiddlewareSkipper(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	skipped := 0
	e := newTestEcho(WebPubSubWithConfig(Config{
		Hubs: []*handler.Hub{chat},
		Skipper: func(c echo.Context) bool {
			skip := c.Request().Header.Get("X-Skip") != ""
			if skip {
				skipped++
			}
			return skip
		},
	}))
	tests := []struct {
		name        string
		skip        bool
		want        answer
		wantSkipped int
	}{
		{"not skipped", false, answer{status: 200, body: "chat:x:echo-user"}, 0},
		{"skipped", true, answer{status: 200, body: "app"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			skipped = 0
			r := upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", "x")
			if tt.skip {
				r.Header.Set("X-Skip", "1")
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, r)
			check(t, rec, tt.want)
			if skipped != tt.wantSkipped {
				t.Errorf("Skipper skipped %d requests, want %d", skipped, tt.wantSkipped)
			}
		})
	}
}

// TestMiddlewareCallsNextDirectly calls the middleware the way Echo's own middleware tests
// do: mw(next)(c) on a fresh context, checking what reaches next and the returned error.
func TestMiddlewareCallsNextDirectly(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	news := newTestHub(t, "news", nil)
	e := echo.New()
	errNext := errors.New("next called")
	next := func(echo.Context) error { return errNext }
	tests := []struct {
		name       string
		cfg        Config
		req        *http.Request
		wantErr    error // errors.Is on the returned error; nil = served (recorder status)
		wantStatus int   // of the returned *echo.HTTPError, or of the recorder
	}{
		{"Web PubSub call served", Config{Hubs: []*handler.Hub{chat}},
			upstream(http.MethodPost, "/api/webpubsub/hubs/chat/x", "chat", "message", "x"), nil, 200},
		{"plain request to next", Config{Hubs: []*handler.Hub{chat}},
			httptest.NewRequest(http.MethodPost, "/api/webpubsub/hubs/chat/x", nil), errNext, 0},
		{"unknown hub in path", Config{Hubs: []*handler.Hub{chat}},
			upstream(http.MethodPost, "/api/webpubsub/hubs/nope/x", "nope", "message", "x"), ErrUnknownHub, 404},
		{"hub mismatch", Config{Hubs: []*handler.Hub{chat}},
			upstream(http.MethodPost, "/api/webpubsub/hubs/chat/x", "news", "message", "x"), handler.ErrHubMismatch, 404},
		{"unknown ce-hub on a shared path", Config{Hubs: []*handler.Hub{chat, news}, Path: "/"},
			upstream(http.MethodPost, "/x", "nope", "message", "x"), ErrUnknownHub, 404},
		{"no ce-hub among several hubs", Config{Hubs: []*handler.Hub{chat, news}, Path: "/"},
			upstream(http.MethodPost, "/x", "", "message", "x"), ErrNoHubHeader, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := tt.cfg.ToMiddleware()
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			err = mw(next)(e.NewContext(tt.req, rec))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("mw(next)(c) = %v, want %v", err, tt.wantErr)
			}
			var he *echo.HTTPError
			switch {
			case errors.As(err, &he):
				if he.Code != tt.wantStatus {
					t.Errorf("HTTPError code = %d, want %d", he.Code, tt.wantStatus)
				}
				if msg, _ := he.Message.(string); !strings.HasPrefix(msg, "webpubsub: ") {
					t.Errorf("HTTPError message = %v, want a webpubsub: reason", he.Message)
				}
			case err == nil && rec.Code != tt.wantStatus:
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
		})
	}
}

func TestMiddlewareOnGroup(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	e := echo.New()
	g := e.Group("/api")
	g.Use(WebPubSub(chat)) // Path is matched against the full path, not the group-relative one
	e.GET("/health", func(c echo.Context) error { return c.String(200, "app") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", "g"))
	check(t, rec, answer{status: 200, body: "chat:g:echo-without-who"})

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	check(t, rec, answer{status: 200, body: "app"})
}

func TestMiddlewareLogsRefusals(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	chat := newTestHub(t, "chat", nil)
	e := newTestEcho(WebPubSubWithConfig(Config{Hubs: []*handler.Hub{chat}, Logger: logger}))
	tests := []struct {
		name    string
		req     *http.Request
		wantLog string
	}{
		{"unknown hub", upstream(http.MethodPost, "/api/webpubsub/hubs/other/message", "other", "message", ""), `no hub named \"other\"`},
		{"hub mismatch", upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "news", "message", ""), `but this path serves hub \"chat\"`},
		{"served calls are not logged by the middleware", upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", ""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf.Reset()
			e.ServeHTTP(httptest.NewRecorder(), tt.req)
			if tt.wantLog == "" {
				if buf.Len() != 0 {
					t.Errorf("log = %s, want nothing", buf.String())
				}
				return
			}
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("log line %q: %v", buf.String(), err)
			}
			if line["level"] != "WARN" || !strings.Contains(buf.String(), tt.wantLog) || line["path"] == nil {
				t.Errorf("log = %s, want a WARN line with path containing %s", buf.String(), tt.wantLog)
			}
		})
	}
}

func TestConfigToMiddlewareErrors(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	chat2 := newTestHub(t, "CHAT", nil)
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{"valid", Config{Hubs: []*handler.Hub{chat}}, nil},
		{"valid custom path", Config{Hubs: []*handler.Hub{chat}, Path: "/x/{hub}/{event}"}, nil},
		{"no hub", Config{}, ErrNoHub},
		{"nil hub", Config{Hubs: []*handler.Hub{chat, nil}}, ErrNilHub},
		{"duplicate hub ignoring case", Config{Hubs: []*handler.Hub{chat, chat2}}, ErrDuplicateHub},
		{"relative path", Config{Hubs: []*handler.Hub{chat}, Path: "api/{hub}"}, ErrInvalidPath},
		{"partial placeholder", Config{Hubs: []*handler.Hub{chat}, Path: "/api/hub-{hub}"}, ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mw, err := tt.cfg.ToMiddleware()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ToMiddleware() error = %v, want %v", err, tt.wantErr)
			}
			if (mw != nil) != (tt.wantErr == nil) {
				t.Errorf("ToMiddleware() middleware = %v, want one only without error", mw != nil)
			}
			if tt.wantErr == nil {
				return
			}
			defer func() {
				if p := recover(); p == nil {
					t.Errorf("WebPubSubWithConfig did not panic for %v", tt.wantErr)
				}
			}()
			WebPubSubWithConfig(tt.cfg)
		})
	}
}

func TestConfigURLTemplate(t *testing.T) {
	tests := []struct {
		cfg     Config
		base    string
		hub     string
		want    string
		wantErr error
	}{
		{Config{}, "https://app.example.com", "chat", "https://app.example.com/api/webpubsub/hubs/chat/{event}", nil},
		{Config{}, "http://127.0.0.1:8080/", "chat", "http://127.0.0.1:8080/api/webpubsub/hubs/chat/{event}", nil},
		{Config{Path: "/eventhandler/{event}"}, "https://app", "chat", "https://app/eventhandler/{event}", nil},
		{Config{Path: "/"}, "https://app", "chat", "https://app/{event}", nil},
		{Config{Path: "bad"}, "https://app", "chat", "", ErrInvalidPath},
	}
	for _, tt := range tests {
		got, err := tt.cfg.URLTemplate(tt.base, tt.hub)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("Config{Path: %q}.URLTemplate(%q, %q) = %q, %v, want %q, %v", tt.cfg.Path, tt.base, tt.hub, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestEchoContextOutsideMiddleware(t *testing.T) {
	if c, ok := EchoContext(t.Context()); ok || c != nil {
		t.Errorf("EchoContext(plain ctx) = %v, %v, want nil, false", c, ok)
	}
}

// TestMiddlewareMountings checks the middleware with no app route at all, registered with
// Use (after routing) and with Pre (before routing), for both methods the service uses.
func TestMiddlewareMountings(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	mounts := []struct {
		name  string
		mount func(e *echo.Echo, mw echo.MiddlewareFunc)
	}{
		{"Use", func(e *echo.Echo, mw echo.MiddlewareFunc) { e.Use(mw) }},
		{"Pre", func(e *echo.Echo, mw echo.MiddlewareFunc) { e.Pre(mw) }},
		{"Use with a route on the same path", func(e *echo.Echo, mw echo.MiddlewareFunc) {
			e.Use(mw)
			e.GET("/api/webpubsub/hubs/chat/message", func(c echo.Context) error { return c.String(http.StatusOK, "app") })
		}},
	}
	requests := []struct {
		name string
		req  func() *http.Request
		want answer
	}{
		{"POST", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", "m")
		}, answer{status: 200, body: "chat:m:echo-without-who"}},
		{"OPTIONS", func() *http.Request {
			return upstream(http.MethodOptions, "/api/webpubsub/hubs/chat/validate", "chat", "", "")
		}, answer{status: 200, header: http.Header{"Webhook-Allowed-Origin": {testOrigin}}}},
		{"plain OPTIONS is Echo's", func() *http.Request {
			return httptest.NewRequest(http.MethodOptions, "/api/webpubsub/hubs/chat/validate", nil)
		}, answer{status: 404, body: `{"message":"Not Found"}` + "\n"}},
	}
	for _, m := range mounts {
		for _, rq := range requests {
			t.Run(m.name+"/"+rq.name, func(t *testing.T) {
				e := echo.New()
				m.mount(e, WebPubSub(chat))
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, rq.req())
				check(t, rec, rq.want)
			})
		}
	}
}

// TestMiddlewareResponseSeenByEcho checks that outer Echo middleware (a request logger, for
// example) sees the status the hub wrote and a committed response.
func TestMiddlewareResponseSeenByEcho(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantErr    bool
	}{
		{"served", upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", "x"), 200, false},
		{"refused by the hub", upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", "x"), 401, false},
		{"refused by the middleware", upstream(http.MethodPost, "/api/webpubsub/hubs/none/message", "none", "message", "x"), 404, true},
	}
	tests[1].req.Header.Set(wire.HeaderSignature, "sha256=00")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var committed bool
			var gotErr error
			e := echo.New()
			e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					gotErr = next(c)
					status, committed = c.Response().Status, c.Response().Committed
					return gotErr
				}
			})
			e.Use(WebPubSub(chat))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.req)
			if (gotErr != nil) != tt.wantErr || rec.Code != tt.wantStatus {
				t.Fatalf("next error = %v, status %d, want error %v, status %d", gotErr, rec.Code, tt.wantErr, tt.wantStatus)
			}
			if !tt.wantErr && (status != tt.wantStatus || !committed) {
				t.Errorf("outer middleware saw status %d committed %v, want %d true", status, committed, tt.wantStatus)
			}
		})
	}
}
