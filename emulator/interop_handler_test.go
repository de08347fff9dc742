package emulator_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestInteropHandler sends the emulator's upstream calls to a hub of our own handler package,
// with signature checks and abuse protection on (the hub's defaults for the emulator's
// connection string), the hub's settings derived from its registered funcs, the connection
// state round-tripping, and the bundled service client calling back into the emulator.
func TestInteropHandler(t *testing.T) {
	s, err := emulator.Start(t.Context(), &emulator.Config{AccessKey: "handler-interop-key"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{s.ConnectionString()}})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 100)
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		if req.Query.Get("reject") != "" {
			return nil, handler.Unauthorized("no entry")
		}
		if err := req.State.Set("visits", 0); err != nil {
			return nil, err
		}
		seen <- "connect " + req.UserID + " " + strings.Join(req.Claims["sub"], ",") + " " + strings.Join(req.Subprotocols, ",")
		return &handler.ConnectResponse{UserID: "h-" + req.Query.Get("user"), Groups: []string{"lobby"}, Roles: []string{"webpubsub.sendToGroup.lobby"}}, nil
	})
	hub.HandleEvent("greet", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		var visits int
		if raw, ok := ev.State.Get("visits"); ok {
			_ = json.Unmarshal(raw, &visits)
		}
		visits++
		if err := ev.State.Set("visits", visits); err != nil {
			return nil, err
		}
		return handler.TextResponse(ev.Text() + " #" + string(rune('0'+visits))), nil
	})
	hub.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error {
		seen <- "connected " + ev.UserID
		_, err := ev.Client().SendToConnection(ctx, ev.ConnectionID, service.Text("welcome"), nil)
		return err
	})
	hub.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error {
		raw, _ := ev.State.Get("visits")
		seen <- "disconnected " + ev.UserID + " visits=" + string(raw)
		return nil
	})
	hub.OnGroupJoined(func(ctx context.Context, ev *handler.GroupEvent) error {
		seen <- "joined " + ev.Group
		return nil
	})
	app := httptest.NewServer(hub)
	t.Cleanup(app.Close)
	s.SetHub(service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{hub.EventHandler(app.URL + "/eventhandler/{event}")}})

	expect := func(want string) {
		t.Helper()
		select {
		case got := <-seen:
			if got != want {
				t.Errorf("handler saw %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("handler did not see %q", want)
		}
	}
	sc, err := service.NewClientFromConnectionString(s.ConnectionString(), "chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sc.ClientAccessToken(t.Context(), &service.ClientAccessTokenOptions{UserID: "tok"})
	if err != nil {
		t.Fatal(err)
	}

	// Rejected by the handler: the client sees 401.
	if _, resp, err := websocket.Dial(t.Context(), tok.URL+"&reject=1", nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("rejected connect: err %v, want status 401", err)
	}

	c, _, err := websocket.Dial(t.Context(), tok.URL+"&"+url.Values{"user": {"ann"}}.Encode(), &websocket.DialOptions{Subprotocols: []string{"json.webpubsub.azure.v1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	expect("connect tok tok json.webpubsub.azure.v1")
	expect("connected h-ann")
	expect("joined lobby")
	readJSON := func() map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := readJSON(); m["event"] != "connected" || m["userId"] != "h-ann" {
		t.Errorf("connected message = %v", m)
	}
	if m := readJSON(); m["data"] != "welcome" {
		t.Errorf("message from the bundled client = %v", m)
	}
	for i, want := range []string{"hi #1", "hi #2"} {
		req, _ := json.Marshal(map[string]any{"type": "event", "event": "greet", "dataType": "text", "data": "hi", "ackId": i + 1})
		if err := c.Write(t.Context(), websocket.MessageText, req); err != nil {
			t.Fatal(err)
		}
		if m := readJSON(); m["data"] != want || m["from"] != "server" {
			t.Errorf("reply = %v, want %q", m, want)
		}
		if m := readJSON(); m["type"] != "ack" || m["success"] != true {
			t.Errorf("ack = %v", m)
		}
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	expect("disconnected h-ann visits=2")
}
