package handlertest_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

// Unit-testing a connect func: build the request the service would send and inspect the
// answer.
func ExampleConnect() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		if len(req.Claims["role"]) == 0 {
			return nil, handler.Unauthorized("no role claim")
		}
		return &handler.ConnectResponse{Roles: []string{"webpubsub.sendToGroup." + req.Claims["role"][0]}}, nil
	})

	for _, claims := range []map[string][]string{{"role": {"admins"}}, {}} {
		rec := httptest.NewRecorder()
		hub.ServeHTTP(rec, handlertest.Connect("chat", &handlertest.ConnectBody{Claims: claims}, nil))
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// 200 {"roles":["webpubsub.sendToGroup.admins"]}
	// 401 no role claim
}

// State travels in a header: build it for a request with State, read the answer's header.
func ExampleState() {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		panic(err)
	}
	hub.HandleEvent("rename", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		old, _ := handler.StateAs[string](&ev.State, "name")
		return handler.TextResponse(old + " -> " + ev.Text()), ev.State.Set("name", ev.Text())
	})

	rec := httptest.NewRecorder()
	hub.ServeHTTP(rec, handlertest.Text("chat", "rename", "bob", &handlertest.Options{
		State: handlertest.State(map[string]any{"name": "ann"}),
	}))
	state, _ := handler.DecodeState(rec.Header().Get(handler.HeaderConnectionState))
	fmt.Println(rec.Body.String(), string(state["name"]))
	// Output:
	// ann -> bob "bob"
}
