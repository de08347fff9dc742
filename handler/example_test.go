package handler_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/service"
)

// A connect func that checks a query parameter and grants the client the right to join
// and leave the group of its room.
func ExampleHub_HandleConnect() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		room := req.Query.Get("room")
		if room == "" {
			return nil, handler.BadRequest("missing room")
		}
		return &handler.ConnectResponse{
			UserID: req.UserID,
			Groups: []string{room},
			Roles:  []string{"webpubsub.joinLeaveGroup." + room, "webpubsub.sendToGroup." + room},
		}, nil
	})

	for _, query := range []map[string][]string{{"room": {"lobby"}}, nil} {
		rec := httptest.NewRecorder()
		hub.ServeHTTP(rec, handlertest.Connect("chat", &handlertest.ConnectBody{Query: query}, &handlertest.Options{UserID: "ann"}))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 {"userId":"ann","groups":["lobby"],"roles":["webpubsub.joinLeaveGroup.lobby","webpubsub.sendToGroup.lobby"]}
	// 400 missing room
}

// A message echo: the reply goes back to the client that sent the message.
func ExampleHub_HandleEvent() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return handler.TextResponse("echo: " + ev.Text()), nil
	})

	rec := httptest.NewRecorder()
	hub.ServeHTTP(rec, handlertest.Message("chat", "hello", nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	// Output:
	// 200 text/plain; charset=utf-8 echo: hello
}

// A broadcast through the hub's bundled service client. An httptest server stands in for
// the Web PubSub service's REST API.
func ExampleConnectionContext_Client() {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Printf("service got %s %s %q\n", r.Method, r.URL.Path, body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer svc.Close()

	const key = "example-access-key"
	hub, err := handler.NewHub("chat", &handler.Options{
		ConnectionStrings: []string{"Endpoint=" + svc.URL + ";AccessKey=" + key + ";Version=1.0;"},
	})
	if err != nil {
		panic(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		_, err := ev.Client().SendToAll(ctx, service.Text(ev.UserID+": "+ev.Text()), nil)
		return nil, err
	})

	rec := httptest.NewRecorder()
	hub.ServeHTTP(rec, handlertest.Message("chat", "hi all", &handlertest.Options{
		UserID: "ann", Keys: []string{key}, Origin: strings.TrimPrefix(svc.URL, "http://"),
	}))
	fmt.Println(rec.Code)
	// Output:
	// service got POST /api/hubs/chat/:send "ann: hi all"
	// 204
}

// Connection state: a counter kept in the connection, in the JS SDK's format.
func ExampleStateAs() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		n, err := handler.StateAs[int](&ev.State, "count")
		if err != nil && ev.State.Len() > 0 {
			return nil, err
		}
		if err := ev.State.Set("count", n+1); err != nil {
			return nil, err
		}
		return handler.TextResponse(fmt.Sprintf("message #%d", n+1)), nil
	})

	state := "" // the service keeps the state and sends it with the next event
	for range 3 {
		rec := httptest.NewRecorder()
		hub.ServeHTTP(rec, handlertest.Message("chat", "x", &handlertest.Options{State: state}))
		state = rec.Header().Get(handler.HeaderConnectionState)
		fmt.Println(rec.Body.String(), state)
	}
	// Output:
	// message #1 eyJjb3VudCI6MX0=
	// message #2 eyJjb3VudCI6Mn0=
	// message #3 eyJjb3VudCI6M30=
}

// A typed JSON event.
func ExampleHandleJSON() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	type move struct {
		X, Y int
	}
	handler.HandleJSON(hub, "move", func(ctx context.Context, ev *handler.UserEvent, m move) (*handler.EventResponse, error) {
		return handler.JSONResponse(move{X: m.X + 1, Y: m.Y + 1})
	})

	rec := httptest.NewRecorder()
	hub.ServeHTTP(rec, handlertest.JSON("chat", "move", move{X: 1, Y: 2}, nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 {"X":2,"Y":3}
}

// Mounting a hub on plain net/http at the default path of the official SDKs.
func ExampleHub_ServeHTTP() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/webpubsub/hubs/chat/", hub)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, err := handlertest.ForClient(handlertest.Validate("chat", ""), srv.URL)
	if err != nil {
		panic(err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WebHook-Allowed-Origin"))
	// Output:
	// 200 127.0.0.1:7071
}

// Rotating an access key while serving: the service signs with every key of the resource,
// so the hub keeps working while the ring changes.
func ExampleKeyRing() {
	ring := handler.NewKeyRing("primary-key", "secondary-key")
	hub, err := handler.NewHub("chat", &handler.Options{Keys: ring, AllowedOrigins: []string{handlertest.Origin}})
	if err != nil {
		panic(err)
	}
	send := func(keys ...string) int {
		rec := httptest.NewRecorder()
		hub.ServeHTTP(rec, handlertest.Connected("chat", &handlertest.Options{Keys: keys}))
		return rec.Code
	}
	fmt.Println("before:", send("primary-key", "secondary-key"))
	ring.Set("secondary-key") // stop trusting the primary, then regenerate it on the resource
	fmt.Println("old primary alone:", send("primary-key"))
	fmt.Println("service signing with new primary and secondary:", send("new-primary", "secondary-key"))
	ring.Set("new-primary", "secondary-key")
	fmt.Println("new primary alone:", send("new-primary"))
	// Output:
	// before: 200
	// old primary alone: 401
	// service signing with new primary and secondary: 200
	// new primary alone: 200
}
