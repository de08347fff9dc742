package middleware_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/middleware"
)

// newChatHub returns a hub that answers every "message" with "echo: <text>". In an app the
// connection strings come from the environment; handlertest's matches the requests it builds.
func newChatHub() *handler.Hub {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return handler.TextResponse("echo: " + ev.Text()), nil
	})
	return hub
}

// The hub receives the service's calls under the default path, next to the app's routes.
func ExampleWebPubSub() {
	e := echo.New()
	e.Use(middleware.WebPubSub(newChatHub()))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "home page") })

	// What the service sends when a client of hub "chat" sends the text frame "hi".
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, handlertest.Message("chat", "hi", nil)) // POST /api/webpubsub/hubs/chat/message
	fmt.Println(rec.Code, rec.Body)

	// Other requests reach the app untouched.
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 200 echo: hi
	// 200 home page
}

// Two hubs share one path; the service's URL template for each is printed by URLTemplate,
// and the ce-hub header picks the hub.
func ExampleWebPubSubWithConfig() {
	news, err := handler.NewHub("news", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	news.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return handler.TextResponse("news got " + ev.Text()), nil
	})
	cfg := middleware.Config{
		Hubs: []*handler.Hub{newChatHub(), news},
		Path: "/eventhandler/{event}",
	}
	e := echo.New()
	e.Use(middleware.WebPubSubWithConfig(cfg))

	tmpl, err := cfg.URLTemplate("https://app.example.com", "news")
	if err != nil {
		panic(err)
	}
	fmt.Println(tmpl)

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, handlertest.Message("news", "hello", &handlertest.Options{Target: "/eventhandler/message"}))
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// https://app.example.com/eventhandler/{event}
	// 200 news got hello
}

// A hub func reaches values that other Echo middleware stored in the echo.Context.
func ExampleEchoContext() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		c, ok := middleware.EchoContext(ctx)
		if !ok {
			return nil, handler.ServerError("not served by Echo")
		}
		return handler.TextResponse(fmt.Sprintf("request %v", c.Get("requestID"))), nil
	})

	e := echo.New()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set("requestID", 42)
			return next(c)
		}
	})
	e.Use(middleware.WebPubSub(hub))

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, handlertest.Message("chat", "hi", nil))
	fmt.Println(rec.Body)
	// Output:
	// request 42
}

// Without Echo: a hub is an http.Handler that ignores the URL path, so it mounts on any
// router under the path the service's URL template points to.
func Example_netHTTP() {
	mux := http.NewServeMux()
	mux.Handle("/api/webpubsub/hubs/chat/", newChatHub())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, err := handlertest.ForClient(handlertest.Message("chat", "over net/http", nil), srv.URL)
	if err != nil {
		panic(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), string(body))
	// Output:
	// 200 text/plain; charset=utf-8 echo: over net/http
}
