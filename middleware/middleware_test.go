package middleware

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

const (
	testKey    = "test-access-key"
	testOrigin = "svc.webpubsub.azure.com"
	testConnID = "conn-1"
)

var testConnectionString = "Endpoint=https://" + testOrigin + ";AccessKey=" + testKey + ";Version=1.0;"

// upstream builds a signed upstream request for a text user event (or an OPTIONS
// handshake), as the service sends it. hub "" leaves ce-hub out.
func upstream(method, target, hub, event, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	h := r.Header
	h.Set(wire.HeaderAwpsVersion, wire.AwpsVersion)
	h.Set(wire.HeaderRequestOrigin, testOrigin)
	if hub != "" {
		h.Set(wire.HeaderHub, hub)
	}
	if method == http.MethodOptions {
		return r
	}
	h.Set(wire.HeaderSpecVersion, wire.SpecVersion)
	h.Set(wire.HeaderType, wire.UserEventType(event))
	h.Set(wire.HeaderSource, "/hubs/"+hub+"/client/"+testConnID)
	h.Set(wire.HeaderID, "id-1")
	h.Set(wire.HeaderTime, "2026-01-01T00:00:00Z")
	h.Set(wire.HeaderConnectionID, testConnID)
	h.Set(wire.HeaderEventName, event)
	h.Set(wire.HeaderSignature, wire.Sign(testConnID, testKey))
	h.Set("Content-Type", wire.ContentTypeText)
	return r
}

// newTestHub returns a hub whose "message" func answers "<hub>:<text>:<echo value>", the
// echo value being what an earlier Echo middleware stored under "who" (reached through
// EchoContext).
func newTestHub(t testing.TB, name string, opts *handler.Options) *handler.Hub {
	t.Helper()
	if opts == nil {
		opts = &handler.Options{ConnectionStrings: []string{testConnectionString}}
	}
	hub, err := handler.NewHub(name, opts)
	if err != nil {
		t.Fatalf("NewHub(%q) = %v", name, err)
	}
	hub.HandleEvent(wire.EventMessage, func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		who := "no-echo"
		if c, ok := EchoContext(ctx); ok {
			who = "echo-without-who"
			if v, ok := c.Get("who").(string); ok {
				who = v
			}
		}
		return handler.TextResponse(name + ":" + ev.Text() + ":" + who), nil
	})
	return hub
}

// newTestEcho returns an Echo app with a middleware storing "who" in the echo.Context, mw,
// and app routes answering "app" so that fall-through is visible.
func newTestEcho(mw echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set("who", "echo-user")
			return next(c)
		}
	})
	e.Use(mw)
	app := func(c echo.Context) error { return c.String(http.StatusOK, "app") }
	e.Any("/api/webpubsub/hubs/:hub/*", app)
	e.Any("/eventhandler", app)
	e.Any("/eventhandler/*", app)
	e.GET("/health", app)
	return e
}

type answer struct {
	status      int
	body        string // exact, or a substring when contains is set
	contains    bool
	contentType string // checked when not empty
	header      http.Header
}

func check(t *testing.T, rec *httptest.ResponseRecorder, want answer) {
	t.Helper()
	body := rec.Body.String()
	if rec.Code != want.status {
		t.Errorf("status = %d, want %d (body %q)", rec.Code, want.status, body)
	}
	if want.contains && !strings.Contains(body, want.body) || !want.contains && body != want.body {
		t.Errorf("body = %q, want %q (contains %v)", body, want.body, want.contains)
	}
	if want.contentType != "" && rec.Header().Get("Content-Type") != want.contentType {
		t.Errorf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), want.contentType)
	}
	for k, v := range want.header {
		if got := rec.Header().Values(k); strings.Join(got, ",") != strings.Join(v, ",") {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

func TestMiddlewareDefaultPath(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	news := newTestHub(t, "News", nil)
	e := newTestEcho(WebPubSub(chat, news))
	text := wire.ContentTypeTextUTF8

	tests := []struct {
		name string
		req  func() *http.Request
		want answer
	}{
		{"event to hub chat", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", "hi")
		}, answer{status: 200, body: "chat:hi:echo-user", contentType: text}},
		{"hub chosen by path, case-insensitive", func() *http.Request {
			return upstream(http.MethodPost, "/API/WebPubSub/HUBS/news/message", "news", "message", "hi")
		}, answer{status: 200, body: "News:hi:echo-user", contentType: text}},
		{"path without trailing segment", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/chat", "chat", "message", "hi")
		}, answer{status: 200, body: "chat:hi:echo-user"}},
		{"ce-hub compared ignoring case", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "CHAT", "message", "hi")
		}, answer{status: 200, body: "chat:hi:echo-user"}},
		{"no ce-hub: the path decides, the hub then refuses", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "", "message", "hi")
		}, answer{status: 400, body: "ce-hub", contains: true}},
		{"not a Web PubSub call goes to next", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/api/webpubsub/hubs/chat/message", strings.NewReader("hi"))
		}, answer{status: 200, body: "app"}},
		{"other path goes to next", func() *http.Request {
			return upstream(http.MethodPost, "/eventhandler/message", "chat", "message", "hi")
		}, answer{status: 200, body: "app"}},
		{"prefix of a longer hub name goes to next… as an unknown hub", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/chatroom/message", "chatroom", "message", "hi")
		}, answer{status: 404, body: `no hub named \"chatroom\"`, contains: true}},
		{"unknown hub in path", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/other/message", "other", "message", "hi")
		}, answer{status: 404, body: `no hub named \"other\"`, contains: true}},
		{"ce-hub names another hub than the path", func() *http.Request {
			return upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "news", "message", "hi")
		}, answer{status: 404, body: `for hub \"news\" but this path serves hub \"chat\"`, contains: true}},
		{"unknown hub without Web PubSub headers goes to next", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/api/webpubsub/hubs/other/x", nil)
		}, answer{status: 200, body: "app"}},
		{"abuse-protection handshake", func() *http.Request {
			return upstream(http.MethodOptions, "/api/webpubsub/hubs/chat/validate", "", "", "")
		}, answer{status: 200, header: http.Header{"Webhook-Allowed-Origin": {testOrigin}}}},
		{"handshake with only WebHook-Request-Origin", func() *http.Request {
			r := upstream(http.MethodOptions, "/api/webpubsub/hubs/chat/validate", "", "", "")
			r.Header.Del(wire.HeaderAwpsVersion)
			return r
		}, answer{status: 200, header: http.Header{"Webhook-Allowed-Origin": {testOrigin}}}},
		{"handshake from an unknown origin", func() *http.Request {
			r := upstream(http.MethodOptions, "/api/webpubsub/hubs/chat/validate", "", "", "")
			r.Header.Set(wire.HeaderRequestOrigin, "evil.example.com")
			return r
		}, answer{status: 400, body: "not among the allowed origins", contains: true}},
		{"bad signature is the hub's 401", func() *http.Request {
			r := upstream(http.MethodPost, "/api/webpubsub/hubs/chat/message", "chat", "message", "hi")
			r.Header.Set(wire.HeaderSignature, wire.Sign(testConnID, "wrong-key"))
			return r
		}, answer{status: 401, body: "signature", contains: true}},
		{"other method on a Web PubSub call is the hub's 405", func() *http.Request {
			return upstream(http.MethodGet, "/api/webpubsub/hubs/chat/message", "chat", "message", "")
		}, answer{status: 405, body: "method not allowed", contains: true, header: http.Header{"Allow": {"OPTIONS, POST"}}}},
		{"app route untouched", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/health", nil)
		}, answer{status: 200, body: "app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.req())
			check(t, rec, tt.want)
		})
	}
}

func TestMiddlewareSharedPath(t *testing.T) {
	// Two hubs on one path, each accepting a different service origin.
	chat := newTestHub(t, "chat", &handler.Options{Keys: handler.NewKeyRing(testKey), AllowedOrigins: []string{testOrigin}})
	news := newTestHub(t, "news", &handler.Options{Keys: handler.NewKeyRing(testKey), AllowedOrigins: []string{"news.webpubsub.azure.com"}})
	e := newTestEcho(WebPubSubWithConfig(Config{Hubs: []*handler.Hub{chat, news}, Path: "/eventhandler/{event}"}))

	tests := []struct {
		name string
		req  func() *http.Request
		want answer
	}{
		{"ce-hub chooses chat", func() *http.Request {
			return upstream(http.MethodPost, "/eventhandler/message", "chat", "message", "a")
		}, answer{status: 200, body: "chat:a:echo-user"}},
		{"ce-hub chooses news", func() *http.Request {
			return upstream(http.MethodPost, "/EventHandler/message", "NEWS", "message", "b")
		}, answer{status: 200, body: "news:b:echo-user"}},
		{"unknown ce-hub", func() *http.Request {
			return upstream(http.MethodPost, "/eventhandler/message", "other", "message", "c")
		}, answer{status: 404, body: `no hub named \"other\"`, contains: true}},
		{"no ce-hub among two hubs", func() *http.Request {
			return upstream(http.MethodPost, "/eventhandler/message", "", "message", "c")
		}, answer{status: 400, body: "no ce-hub header", contains: true}},
		{"{event} segment is required", func() *http.Request {
			return upstream(http.MethodPost, "/eventhandler", "chat", "message", "c")
		}, answer{status: 200, body: "app"}},
		{"handshake without ce-hub: first hub allowing the origin answers", func() *http.Request {
			r := upstream(http.MethodOptions, "/eventhandler/validate", "", "", "")
			r.Header.Set(wire.HeaderRequestOrigin, "news.webpubsub.azure.com")
			return r
		}, answer{status: 200, header: http.Header{"Webhook-Allowed-Origin": {"news.webpubsub.azure.com"}}}},
		{"handshake without ce-hub: no hub allows the origin", func() *http.Request {
			r := upstream(http.MethodOptions, "/eventhandler/validate", "", "", "")
			r.Header.Set(wire.HeaderRequestOrigin, "evil.example.com")
			return r
		}, answer{status: 400, body: "not among the allowed origins", contains: true}},
		{"handshake with ce-hub asks that hub only", func() *http.Request {
			r := upstream(http.MethodOptions, "/eventhandler/validate", "chat", "", "")
			r.Header.Set(wire.HeaderRequestOrigin, "news.webpubsub.azure.com")
			return r
		}, answer{status: 400, body: "not among the allowed origins", contains: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.req())
			check(t, rec, tt.want)
		})
	}
}

func TestMiddlewareSingleHubSharedPath(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	e := newTestEcho(WebPubSubWithConfig(Config{Hubs: []*handler.Hub{chat}, Path: "/"}))
	tests := []struct {
		name string
		req  *http.Request
		want answer
	}{
		{"any path, ce-hub matches", upstream(http.MethodPost, "/anything/here", "chat", "message", "x"),
			answer{status: 200, body: "chat:x:echo-user"}},
		{"no ce-hub: the only hub answers (and refuses the event)", upstream(http.MethodPost, "/x", "", "message", "x"),
			answer{status: 400, body: "ce-hub", contains: true}},
		{"handshake without ce-hub", upstream(http.MethodOptions, "/validate", "", "", ""),
			answer{status: 200, header: http.Header{"Webhook-Allowed-Origin": {testOrigin}}}},
		{"plain request still reaches the app", httptest.NewRequest(http.MethodGet, "/health", nil),
			answer{status: 200, body: "app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, tt.req)
			check(t, rec, tt.want)
		})
	}
}

// TestMiddlewareLoopback serves the middleware from a real Echo server on a loopback port.
func TestMiddlewareLoopback(t *testing.T) {
	chat := newTestHub(t, "chat", nil)
	srv := httptest.NewServer(newTestEcho(WebPubSub(chat)))
	defer srv.Close()

	tests := []struct {
		name string
		req  *http.Request
		want answer
	}{
		{"event", upstream(http.MethodPost, srv.URL+"/api/webpubsub/hubs/chat/message", "chat", "message", "loop"),
			answer{status: 200, body: "chat:loop:echo-user", contentType: wire.ContentTypeTextUTF8}},
		{"handshake", upstream(http.MethodOptions, srv.URL+"/api/webpubsub/hubs/chat/validate", "", "", ""),
			answer{status: 200, header: http.Header{"Webhook-Allowed-Origin": {testOrigin}}}},
		{"unknown hub", upstream(http.MethodPost, srv.URL+"/api/webpubsub/hubs/x/message", "x", "message", ""),
			answer{status: 404, body: "no hub named", contains: true, contentType: "application/json"}},
		{"app", httptest.NewRequest(http.MethodGet, srv.URL+"/health", nil), answer{status: 200, body: "app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req.Clone(t.Context())
			req.RequestURI = ""
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			rec := httptest.NewRecorder()
			rec.Code = resp.StatusCode
			for k, v := range resp.Header {
				rec.Header()[k] = v
			}
			if _, err := io.Copy(rec.Body, resp.Body); err != nil {
				t.Fatal(err)
			}
			check(t, rec, tt.want)
		})
	}
}
