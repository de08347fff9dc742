package middleware

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestMiddlewareWithEmulator runs the whole path on loopback: a plain WebSocket client
// connects to the emulator, which calls our Echo app (abuse-protection handshake, signed
// connect, connected and message events) through the middleware, for each path layout.
func TestMiddlewareWithEmulator(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"default path", ""},
		{"shared path with {event}", "/eventhandler/{event}"},
		{"hub and event in the path", "/webpubsub/{hub}/{event}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			emu, err := emulator.Start(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer emu.Close()

			connected := make(chan string, 4)
			newHub := func(name string) *handler.Hub {
				hub, err := handler.NewHub(name, &handler.Options{ConnectionStrings: []string{emu.ConnectionString()}})
				if err != nil {
					t.Fatal(err)
				}
				hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
					if err := req.State.Set("hub", name); err != nil {
						return nil, err
					}
					return &handler.ConnectResponse{}, nil
				})
				hub.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error {
					connected <- ev.Hub + "/" + ev.UserID
					return nil
				})
				hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
					from, _ := handler.StateAs[string](&ev.State, "hub")
					via := "net/http"
					if c, ok := EchoContext(ctx); ok {
						via = c.Request().URL.Path
					}
					return handler.TextResponse(from + " " + ev.UserID + " " + ev.Text() + " via " + via), nil
				})
				return hub
			}
			chat, news := newHub("chat"), newHub("news")
			cfg := Config{Hubs: []*handler.Hub{chat, news}, Path: tt.path}
			e := echo.New()
			e.Use(WebPubSubWithConfig(cfg))
			app := httptest.NewServer(e)
			defer app.Close()

			for _, hub := range cfg.Hubs {
				tmpl, err := cfg.URLTemplate(app.URL, hub.Name())
				if err != nil {
					t.Fatal(err)
				}
				emu.SetHub(service.HubSettings{Hub: hub.Name(), EventHandlers: []service.EventHandler{hub.EventHandler(tmpl)}})
			}

			for _, hub := range cfg.Hubs {
				tok, err := hub.Client().ClientAccessToken(ctx, &service.ClientAccessTokenOptions{UserID: "u-" + hub.Name()})
				if err != nil {
					t.Fatal(err)
				}
				ws, _, err := websocket.Dial(ctx, tok.URL, nil)
				if err != nil {
					t.Fatalf("dial %s: %v", hub.Name(), err)
				}
				defer ws.CloseNow()
				select {
				case got := <-connected:
					if want := hub.Name() + "/u-" + hub.Name(); got != want {
						t.Errorf("connected = %q, want %q", got, want)
					}
				case <-ctx.Done():
					t.Fatalf("no connected event for %s", hub.Name())
				}
				if err := ws.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
					t.Fatal(err)
				}
				typ, data, err := ws.Read(ctx)
				if err != nil {
					t.Fatalf("read reply from %s: %v", hub.Name(), err)
				}
				wantPath, _ := cfg.URLTemplate("", hub.Name())
				wantPath = wantPath[:len(wantPath)-len("{event}")] + "message"
				if want := hub.Name() + " u-" + hub.Name() + " hello via " + wantPath; typ != websocket.MessageText || string(data) != want {
					t.Errorf("reply = %v %q, want text %q", typ, data, want)
				}
			}
		})
	}
}
