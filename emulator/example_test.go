package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/service"
)

// Start an emulator on a free loopback port, connect a client with a URL from the service
// client, and send it a message through the REST API.
func ExampleStart() {
	ctx := context.Background()
	emu, err := emulator.Start(ctx, nil)
	if err != nil {
		panic(err)
	}
	defer emu.Close()

	svc, err := service.NewClientFromConnectionString(emu.ConnectionString(), "chat", nil)
	if err != nil {
		panic(err)
	}
	tok, err := svc.ClientAccessToken(ctx, &service.ClientAccessTokenOptions{UserID: "ann"})
	if err != nil {
		panic(err)
	}
	ws, _, err := websocket.Dial(ctx, tok.URL, &websocket.DialOptions{Subprotocols: []string{"json.webpubsub.azure.v1"}})
	if err != nil {
		panic(err)
	}
	defer ws.CloseNow()

	var m struct {
		Type, Event, UserID, From, DataType string
		Data                                json.RawMessage
	}
	_, b, _ := ws.Read(ctx)
	_ = json.Unmarshal(b, &m)
	fmt.Println(m.Type, m.Event, m.UserID)

	if _, err := svc.SendToUser(ctx, "ann", service.Text("hello"), nil); err != nil {
		panic(err)
	}
	_, b, _ = ws.Read(ctx)
	_ = json.Unmarshal(b, &m)
	fmt.Println(m.Type, m.From, m.DataType, string(m.Data))
	// Output:
	// system connected ann
	// message server text "hello"
}

// An Emulator is an http.Handler: serve it on any listener. Config.Endpoint must be the URL
// clients use, because token audiences name it.
func ExampleNew() {
	srv := httptest.NewUnstartedServer(nil)
	emu, err := emulator.New(&emulator.Config{
		Endpoint: "http://" + srv.Listener.Addr().String(),
		Hubs: []service.HubSettings{{
			Hub:            "chat",
			AllowAnonymous: true,
			EventHandlers: []service.EventHandler{{
				URLTemplate:      "http://127.0.0.1:8080/api/webpubsub/hubs/{hub}/{event}",
				UserEventPattern: "*",
				SystemEvents:     []string{"connect", "connected", "disconnected"},
			}},
		}},
	})
	if err != nil {
		panic(err)
	}
	srv.Config.Handler = emu
	srv.Start()
	defer srv.Close()

	cs := emu.ConnectionString()
	fmt.Println(strings.HasPrefix(cs, "Endpoint="+srv.URL+";AccessKey="+emulator.DefaultAccessKey))
	// Output:
	// true
}
