package handler_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/service"
)

func TestNewHub(t *testing.T) {
	tests := []struct {
		name    string
		hub     string
		opts    *handler.Options
		wantErr string
		wantLog string
	}{
		{"connection string", "chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}}, "", ""},
		{"key source only", "chat", &handler.Options{Keys: handler.NewKeyRing("k"), AllowedOrigins: []string{"a.example"}}, "", ""},
		{"nil options", "chat", nil, "no access key", ""},
		{"no key", "chat", &handler.Options{}, "no access key", ""},
		{"empty name", " ", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}}, "hub name is empty", ""},
		{"bad connection string", "chat", &handler.Options{ConnectionStrings: []string{"Endpoint=ftp://x;AccessKey=k"}}, "connection string 1", ""},
		{"connection string without key", "chat", &handler.Options{ConnectionStrings: []string{"Endpoint=http://x"}}, "connection string 1", ""},
		{"insecure opt-out warns", "chat", &handler.Options{InsecureSkipSignatureValidation: true, AllowAnyOrigin: true}, "", "signature validation is OFF"},
		{"any origin warns", "chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}, AllowAnyOrigin: true}, "", "accepts any origin"},
		{"no origin warns", "chat", &handler.Options{Keys: handler.NewKeyRing("k")}, "", "no allowed origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			opts := tt.opts
			if opts != nil {
				opts.Logger = logs.logger()
			}
			hub, err := handler.NewHub(tt.hub, opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewHub error = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), handlertest.AccessKey) {
					t.Fatalf("error leaks the access key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewHub: %v", err)
			}
			if hub.Name() != tt.hub {
				t.Errorf("Name() = %q, want %q", hub.Name(), tt.hub)
			}
			if tt.wantLog != "" {
				if got := logs.String(); strings.Count(got, tt.wantLog) != 1 || !strings.Contains(got, "level=WARN") {
					t.Errorf("log = %q, want one warning with %q", got, tt.wantLog)
				}
			}
		})
	}
}

func TestRegistrationPanics(t *testing.T) {
	noopEvent := func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) { return nil, nil }
	tests := []struct {
		name string
		do   func(h *handler.Hub)
	}{
		{"nil connect", func(h *handler.Hub) { h.HandleConnect(nil) }},
		{"nil event", func(h *handler.Hub) { h.HandleEvent("a", nil) }},
		{"empty event name", func(h *handler.Hub) { h.HandleEvent("", noopEvent) }},
		{"duplicate event", func(h *handler.Hub) { h.HandleEvent("a", noopEvent); h.HandleEvent("a", noopEvent) }},
		{"duplicate fallback", func(h *handler.Hub) { h.HandleAnyEvent(noopEvent); h.HandleAnyEvent(noopEvent) }},
		{"nil JSON func", func(h *handler.Hub) { handler.HandleJSON[int](h, "a", nil) }},
		{"nil connected", func(h *handler.Hub) { h.OnConnected(nil) }},
		{"nil disconnected", func(h *handler.Hub) { h.OnDisconnected(nil) }},
		{"nil joined", func(h *handler.Hub) { h.OnGroupJoined(nil) }},
		{"nil left", func(h *handler.Hub) { h.OnGroupLeft(nil) }},
		{"after serving", func(h *handler.Hub) {
			serve(h, handlertest.Connected("chat", nil))
			h.HandleEvent("late", noopEvent)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, nil)
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.do(hub)
		})
	}
}

func TestEventHandlerSettings(t *testing.T) {
	noopEvent := func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) { return nil, nil }
	tests := []struct {
		name     string
		register func(h *handler.Hub)
		want     service.EventHandler
	}{
		{"nothing", func(h *handler.Hub) {}, service.EventHandler{URLTemplate: "T"}},
		{"named events sorted", func(h *handler.Hub) {
			h.HandleEvent("message", noopEvent)
			handler.HandleJSON(h, "chat", func(ctx context.Context, ev *handler.UserEvent, v struct{}) (*handler.EventResponse, error) {
				return nil, nil
			})
		}, service.EventHandler{URLTemplate: "T", UserEventPattern: "chat,message"}},
		{"fallback wins", func(h *handler.Hub) {
			h.HandleEvent("message", noopEvent)
			h.HandleAnyEvent(noopEvent)
		}, service.EventHandler{URLTemplate: "T", UserEventPattern: "*"}},
		{"system and presence", func(h *handler.Hub) {
			h.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
				return nil, nil
			})
			h.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error { return nil })
			h.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error { return nil })
			h.OnGroupJoined(func(ctx context.Context, ev *handler.GroupEvent) error { return nil })
			h.OnGroupLeft(func(ctx context.Context, ev *handler.GroupEvent) error { return nil })
		}, service.EventHandler{URLTemplate: "T", SystemEvents: []string{"connect", "connected", "disconnected"}, GroupPresenceEvents: []string{"joined", "left"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, nil)
			tt.register(hub)
			if got := hub.EventHandler("T"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("EventHandler = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBundledClient(t *testing.T) {
	own, err := service.NewClientFromConnectionString(handlertest.ConnectionString, "other", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     *handler.Options
		wantHub  string
		wantNone bool
	}{
		{"from first connection string", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString, "Endpoint=http://10.0.0.1;AccessKey=k2"}}, "chat", false},
		{"Options.Client wins", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}, Client: own}, "other", false},
		{"key source only", &handler.Options{Keys: handler.NewKeyRing(handlertest.AccessKey)}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, tt.opts)
			var got *service.Client
			hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
				got = ev.Client()
				return nil, nil
			})
			rec := serve(hub, handlertest.Message("chat", "x", nil))
			if rec.Code != http.StatusNoContent {
				t.Fatalf("status %d", rec.Code)
			}
			if tt.wantNone {
				if got != nil || hub.Client() != nil {
					t.Fatalf("Client() = %v, want nil", got)
				}
				return
			}
			if got == nil || got != hub.Client() || got.Hub() != tt.wantHub || got.Endpoint() != handlertest.Endpoint {
				t.Fatalf("Client() = %+v, want hub %q at %s", got, tt.wantHub, handlertest.Endpoint)
			}
		})
	}
	t.Run("ClientOptions reach the client", func(t *testing.T) {
		hub := newHub(t, &handler.Options{ClientOptions: &service.ClientOptions{APIVersion: "2021-10-01"}})
		if got := hub.Client().APIVersion(); got != "2021-10-01" {
			t.Errorf("APIVersion = %q, want the one from ClientOptions", got)
		}
	})
	var zero handler.ConnectionContext
	if zero.Client() != nil {
		t.Error("zero ConnectionContext has a client")
	}
}

func TestLogValueRedacts(t *testing.T) {
	var logs logBuffer
	hub := newHub(t, nil)
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		logs.logger().Info("connect", "req", req)
		return nil, nil
	})
	serve(hub, handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"access_token": {"SECRET-TOKEN"}}},
		&handlertest.Options{UserID: "ann", State: handlertest.State(map[string]any{"k": "SECRET-STATE"})}))
	got := logs.String()
	for _, secret := range []string{"SECRET-TOKEN", "sha256=", "SECRET", handlertest.AccessKey} {
		if strings.Contains(got, secret) {
			t.Errorf("log leaks %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "req.connectionId=conn-1") || !strings.Contains(got, "req.userId=ann") {
		t.Errorf("log lacks ids: %s", got)
	}
}

func TestDebugLogPerEvent(t *testing.T) {
	var logs logBuffer
	hub := newHub(t, &handler.Options{Logger: logs.logger()})
	serve(hub, handlertest.Message("chat", "x", &handlertest.Options{UserID: "ann"}))
	want := `level=DEBUG msg="webpubsub: event" hub=chat event=message connectionId=conn-1 userId=ann`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("log = %q, want a line with %q", logs.String(), want)
	}
}
