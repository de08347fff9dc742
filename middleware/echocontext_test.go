package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

type upstreamCtxKey struct{}

// TestEchoContextEveryFunc checks that every kind of func, and the OnError hook, reaches
// the echo.Context through its ctx, that values of the request's own context stay
// visible, and that the funcs' ctx of a blocking event ends with the request's.
func TestEchoContextEveryFunc(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	record := func(what string, ctx context.Context) {
		got := "no echo.Context"
		if c, ok := EchoContext(ctx); ok {
			got, _ = c.Get("who").(string)
		}
		if v, _ := ctx.Value(upstreamCtxKey{}).(string); v != "upstream" {
			got += ", request context value lost"
		}
		mu.Lock()
		seen[what] = got
		mu.Unlock()
	}
	var funcCtx context.Context
	hub, err := handler.NewHub("chat", &handler.Options{
		ConnectionStrings: []string{handlertest.ConnectionString},
		OnError: func(ctx context.Context, _ *handler.ConnectionContext, _ error) {
			record("onError", ctx)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hub.HandleConnect(func(ctx context.Context, _ *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		record("connect", ctx)
		return nil, nil
	})
	hub.HandleEvent("message", func(ctx context.Context, _ *handler.UserEvent) (*handler.EventResponse, error) {
		record("message", ctx)
		funcCtx = ctx
		return nil, nil
	})
	hub.OnConnected(func(ctx context.Context, _ *handler.ConnectedEvent) error {
		record("connected", ctx)
		return errors.New("boom")
	})
	hub.OnDisconnected(func(ctx context.Context, _ *handler.DisconnectedEvent) error {
		record("disconnected", ctx)
		return nil
	})
	hub.OnGroupJoined(func(ctx context.Context, _ *handler.GroupEvent) error {
		record("joined", ctx)
		return nil
	})
	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set("who", "echo-user")
			r := c.Request()
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), upstreamCtxKey{}, "upstream")))
			return next(c)
		}
	})
	e.Use(WebPubSub(hub))
	reqCtx, cancel := context.WithCancel(context.Background())
	for _, r := range []*http.Request{
		handlertest.Connect("chat", nil, nil),
		handlertest.Message("chat", "hi", nil),
		handlertest.Connected("chat", nil),
		handlertest.Disconnected("chat", nil, nil),
		handlertest.GroupJoined("chat", "g", nil),
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, r.WithContext(reqCtx))
		want := rec.Code < 300
		if r.URL.Path == "/api/webpubsub/hubs/chat/connected" {
			want = rec.Code == http.StatusInternalServerError // its func failed
		}
		if !want {
			t.Errorf("%s: status %d %s", r.URL.Path, rec.Code, rec.Body)
		}
	}
	for _, what := range []string{"connect", "message", "connected", "onError", "disconnected", "joined"} {
		if got := seen[what]; got != "echo-user" {
			t.Errorf("%s: got %q, want the echo.Context with who=echo-user", what, got)
		}
	}
	if funcCtx == nil || funcCtx.Err() != nil {
		t.Fatalf("message func ctx = %v before the request ended", funcCtx)
	}
	cancel()
	if funcCtx.Err() == nil {
		t.Error("the message func's ctx was not cancelled with the request's")
	}
}
