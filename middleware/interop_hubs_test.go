package middleware

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

// notification is what a notification func saw, in the JS script's shape.
type notification struct {
	Event   string         `json:"event"`
	Reason  *string        `json:"reason,omitempty"`
	Group   string         `json:"group,omitempty"`
	MQTT    any            `json:"mqtt,omitempty"`
	Context map[string]any `json:"context"`
}

// recorder keeps the Go hub's notifications like the JS app's /_seen.
type recorder struct {
	mu   sync.Mutex
	seen []notification
}

func (r *recorder) add(n notification) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, n)
}

func (r *recorder) take() []notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.seen
	r.seen = nil
	return s
}

// contextView mirrors contextView of the JS script.
func contextView(c *handler.ConnectionContext) map[string]any {
	states := map[string]any{}
	for _, k := range c.State.Keys() {
		v, _ := c.State.Get(k)
		var x any
		_ = json.Unmarshal(v, &x)
		states[k] = x
	}
	var userID any
	if c.UserID != "" {
		userID = c.UserID
	}
	var mqtt any
	if c.MQTT != nil {
		m := map[string]any{"physicalConnectionId": c.MQTT.PhysicalConnectionID}
		if c.MQTT.SessionID != "" {
			m["sessionId"] = c.MQTT.SessionID
		}
		mqtt = m
	}
	return map[string]any{
		"userId": userID, "hub": c.Hub, "connectionId": c.ConnectionID, "eventName": c.EventName,
		"origin": c.Origin, "states": states, "clientProtocol": string(c.ClientProtocol), "mqtt": mqtt,
	}
}

func stateMap(s *handler.State) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for _, k := range s.Keys() {
		m[k], _ = s.Get(k)
	}
	return m
}

// interopHubs builds the Go twins of the JS app's hubs: "chat" with the same funcs and
// "bare" with none.
func interopHubs(t *testing.T, rec *recorder) []*handler.Hub {
	t.Helper()
	opts := func() *handler.Options {
		return &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}}
	}
	chat, err := handler.NewHub("chat", opts())
	if err != nil {
		t.Fatal(err)
	}
	bare, err := handler.NewHub("bare", opts())
	if err != nil {
		t.Fatal(err)
	}
	set := func(s *handler.State, k string, v any) {
		if err := s.Set(k, v); err != nil {
			t.Errorf("State.Set(%q): %v", k, err)
		}
	}
	chat.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		if f := req.Query.Get("fail"); f != "" {
			code, _ := strconv.Atoi(f)
			return nil, &handler.Error{Status: code, Reason: "refused with " + f}
		}
		if req.Query.Has("empty") {
			return nil, nil
		}
		set(&req.State, "claims", req.Claims)
		q := req.Query
		if q == nil {
			q = url.Values{} // the JS script stores req.query ?? {}
		}
		set(&req.State, "query", q)
		set(&req.State, "headers", req.Headers)
		set(&req.State, "subprotocols", append([]string{}, req.Subprotocols...))
		set(&req.State, "clientCertificates", append([]handler.ClientCertificate{}, req.ClientCertificates...))
		if req.MQTTConnect != nil {
			set(&req.State, "mqtt", req.MQTTConnect)
		}
		out := &handler.ConnectResponse{UserID: req.Query.Get("user"), Groups: []string{"lobby"}, Roles: []string{"webpubsub.joinLeaveGroup.lobby"}}
		if out.UserID == "" && len(req.Claims["sub"]) > 0 {
			out.UserID = req.Claims["sub"][0]
		}
		if len(req.Subprotocols) > 0 {
			out.Subprotocol = req.Subprotocols[0]
		}
		return out, nil
	})
	chat.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		user, _ := handler.StateAs[string](&ev.State, "user")
		return handler.TextResponse(user + ":" + ev.Text()), nil
	})
	chat.HandleEvent("echo", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return &handler.EventResponse{Data: ev.Data, DataType: ev.DataType}, nil
	})
	chat.HandleEvent("state", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		if ev.DataType == handler.DataTypeJSON {
			if err := ev.State.SetRaw("last", ev.Data); err != nil {
				return nil, err
			}
		} else {
			set(&ev.State, "last", ev.Text())
		}
		n, _ := handler.StateAs[int](&ev.State, "n")
		set(&ev.State, "n", n+1)
		return handler.JSONResponse(stateMap(&ev.State))
	})
	chat.HandleEvent("clear", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		for _, k := range ev.State.Keys() {
			if err := ev.State.SetRaw(k, json.RawMessage("null")); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	for code, mk := range map[string]func(string) *handler.Error{"400": handler.BadRequest, "401": handler.Unauthorized, "500": handler.ServerError} {
		chat.HandleEvent("fail"+code, func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return nil, mk("failed " + ev.EventName)
		})
	}
	handler.HandleJSON(chat, "typed", func(ctx context.Context, ev *handler.UserEvent, v map[string]any) (*handler.EventResponse, error) {
		return handler.JSONResponse(v)
	})
	chat.HandleEvent("nothing", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return nil, nil
	})
	chat.HandleEvent("whoami", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return handler.JSONResponse(contextView(&ev.ConnectionContext))
	})
	chat.HandleAnyEvent(func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return handler.TextResponse("fallback:" + ev.EventName + ":" + string(ev.DataType)), nil
	})
	chat.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error {
		rec.add(notification{Event: "connected", Context: contextView(&ev.ConnectionContext)})
		return nil
	})
	chat.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error {
		n := notification{Event: "disconnected", Context: contextView(&ev.ConnectionContext)}
		if ev.Reason != "" {
			n.Reason = &ev.Reason
		}
		if ev.MQTTDisconnect != nil {
			n.MQTT = ev.MQTTDisconnect
		}
		rec.add(n)
		return nil
	})
	group := func(ctx context.Context, ev *handler.GroupEvent) error {
		rec.add(notification{Event: ev.EventName, Group: ev.Group, Context: contextView(&ev.ConnectionContext)})
		if ev.Group == "fail" {
			return fmt.Errorf("group func failed for %q", ev.Group)
		}
		return nil
	}
	chat.OnGroupJoined(group)
	chat.OnGroupLeft(group)
	return []*handler.Hub{chat, bare}
}
