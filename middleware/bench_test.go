package middleware

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

// BenchmarkUpstream measures, side by side, one signed text user event with state through
// a bare Echo handler that only reads the body ("bare"), the hub alone ("hub"), the hub on
// an Echo route without this middleware ("echo-route"), and Echo + this middleware + the
// hub ("middleware"); the difference between the last two is the middleware's own cost
// (path match, hub choice, EchoContext). "middleware-pre" mounts it with Echo's Pre (before
// routing) instead of Use. Compare ns/op and allocs/op within one run (benchstat).
func BenchmarkUpstream(b *testing.B) {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		b.Fatal(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		user, _ := handler.StateAs[string](&ev.State, "user")
		return handler.TextResponse(user + ":" + ev.Text()), nil
	})
	tmpl := handlertest.Message("chat", "hello", &handlertest.Options{State: handlertest.State(map[string]any{"user": "bob"})})
	body, err := io.ReadAll(tmpl.Body)
	if err != nil {
		b.Fatal(err)
	}

	bare := echo.New()
	bare.POST("/api/webpubsub/hubs/chat/message", func(c echo.Context) error {
		if _, err := io.ReadAll(c.Request().Body); err != nil {
			return err
		}
		return c.NoContent(http.StatusOK)
	})
	withMW := echo.New()
	withMW.Use(WebPubSub(hub))
	pre := echo.New()
	pre.Pre(WebPubSub(hub))
	route := echo.New()
	route.POST("/api/webpubsub/hubs/chat/message", echo.WrapHandler(hub))

	targets := []struct {
		name string
		h    http.Handler
		want int
	}{
		{"bare", bare, http.StatusOK},
		{"hub", hub, http.StatusOK},
		{"echo-route", route, http.StatusOK},
		{"middleware", withMW, http.StatusOK},
		{"middleware-pre", pre, http.StatusOK},
	}
	for _, tt := range targets {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			rd := bytes.NewReader(body)
			w := &benchWriter{header: http.Header{}}
			req := tmpl.Clone(context.Background())
			for b.Loop() {
				rd.Reset(body)
				req.Body = io.NopCloser(rd)
				w.reset()
				tt.h.ServeHTTP(w, req)
				if w.code != tt.want {
					b.Fatalf("status %d, want %d: %s", w.code, tt.want, w.body.String())
				}
			}
		})
	}
}

// benchWriter is a reusable http.ResponseWriter, as a server's would be per connection;
// httptest.ResponseRecorder clones the header on WriteHeader, which would dominate.
type benchWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *benchWriter) reset() {
	clear(w.header)
	w.code = 0
	w.body.Reset()
}

func (w *benchWriter) Header() http.Header { return w.header }

func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(p)
}
