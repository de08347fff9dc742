package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func TestConnectDecodes(t *testing.T) {
	body := &handlertest.ConnectBody{
		Claims:       map[string][]string{"sub": {"user1"}, "role": {"a", "b"}},
		Query:        map[string][]string{"access_token": {"tok"}, "room": {"lobby"}},
		Headers:      map[string][]string{"host": {"127.0.0.1:7071"}, "Sec-WebSocket-Protocol": {"json.webpubsub.azure.v1"}},
		Subprotocols: []string{"json.webpubsub.azure.v1", "protobuf.webpubsub.azure.v1"},
		ClientCertificates: []handler.ClientCertificate{
			{Thumbprint: "ABCD", Content: "-----BEGIN CERTIFICATE-----\n..."},
		},
	}
	when := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	hub := newHub(t, nil)
	var got *handler.ConnectRequest
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		got = req
		return nil, nil
	})
	rec := serve(hub, handlertest.Connect("chat", body, &handlertest.Options{UserID: "user1", ID: "ev-42", Time: when}))
	checkResponse(t, rec, http.StatusNoContent, "", "")
	if got == nil {
		t.Fatal("connect func not called")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Hub", got.Hub, "chat"},
		{"ConnectionID", got.ConnectionID, handlertest.ConnectionID},
		{"UserID", got.UserID, "user1"},
		{"EventName", got.EventName, "connect"},
		{"Type", got.Type, handler.EventTypeConnect},
		{"Origin", got.Origin, handlertest.Origin},
		{"Signature", got.Signature, wire.Sign(handlertest.ConnectionID, handlertest.AccessKey)},
		{"ID", got.ID, "ev-42"},
		{"Time", got.Time, when},
		{"Source", got.Source, "/hubs/chat/client/" + handlertest.ConnectionID},
		{"ClientProtocol", got.ClientProtocol, handler.ClientProtocolDefault},
		{"MQTT", got.MQTT == nil, true},
		{"Claims", got.Claims, body.Claims},
		{"Query", got.Query, url.Values(body.Query)},
		{"Headers.Get(host)", got.Headers.Get("Host"), "127.0.0.1:7071"},
		{"Headers.Get(Sec-WebSocket-Protocol)", got.Headers.Get("Sec-WebSocket-Protocol"), "json.webpubsub.azure.v1"},
		{"Subprotocols", got.Subprotocols, body.Subprotocols},
		{"ClientCertificates", got.ClientCertificates, body.ClientCertificates},
		{"MQTTConnect", got.MQTTConnect == nil, true},
		{"State empty", got.State.Len(), 0},
		{"Header", got.Header.Get(wire.HeaderAwpsVersion), "1.0"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestConnectResponses(t *testing.T) {
	mqtt := &handlertest.Options{MQTT: &handlertest.MQTT{}}
	mqtt311 := &handlertest.Options{MQTT: &handlertest.MQTT{}}
	tests := []struct {
		name       string
		fn         handler.ConnectFunc // nil: no func registered
		body       *handlertest.ConnectBody
		req        *handlertest.Options
		wantStatus int
		wantType   string
		wantBody   string
		wantState  map[string]any
	}{
		{"no func", nil, nil, nil, 200, "", "", nil},
		{"no func, MQTT", nil, nil, mqtt, 204, "", "", nil},
		{"nil response", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, nil
		}, nil, nil, 204, "", "", nil},
		{"roles and groups", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return &handler.ConnectResponse{UserID: "u1", Groups: []string{"lobby"}, Roles: []string{"webpubsub.joinLeaveGroup.lobby"}, Subprotocol: "json.webpubsub.azure.v1"}, nil
		}, nil, nil, 200, wire.ContentTypeJSONUTF8, `{"userId":"u1","groups":["lobby"],"roles":["webpubsub.joinLeaveGroup.lobby"],"subprotocol":"json.webpubsub.azure.v1"}`, nil},
		{"empty response object", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return &handler.ConnectResponse{}, nil
		}, nil, nil, 200, wire.ContentTypeJSONUTF8, `{}`, nil},
		{"state on connect", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, req.State.Set("room", "lobby")
		}, nil, nil, 204, "", "", map[string]any{"room": "lobby"}},
		{"unauthorized", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.Unauthorized("missing token")
		}, nil, nil, 401, wire.ContentTypeTextUTF8, "missing token", nil},
		{"bad request", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.BadRequest("bad room")
		}, nil, nil, 400, wire.ContentTypeTextUTF8, "bad room", nil},
		{"typed server error", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.ServerError("db down")
		}, nil, nil, 500, wire.ContentTypeTextUTF8, "db down", nil},
		{"wrapped typed error", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, errors.Join(errors.New("ctx"), handler.Unauthorized("nope"))
		}, nil, nil, 401, wire.ContentTypeTextUTF8, "nope", nil},
		{"untyped error hides details", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, errors.New("secret detail")
		}, nil, nil, 500, wire.ContentTypeTextUTF8, "Internal Server Error", nil},
		{"panic", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			panic("boom")
		}, nil, nil, 500, wire.ContentTypeTextUTF8, "Internal Server Error", nil},
		{"error drops state", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			_ = req.State.Set("k", 1)
			return nil, handler.Unauthorized("no")
		}, nil, nil, 401, wire.ContentTypeTextUTF8, "no", nil},
		{"MQTT success with user properties", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return &handler.ConnectResponse{UserID: req.MQTTConnect.Username, MQTT: &handler.MQTTConnectResponseProperties{UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}}}, nil
		}, &handlertest.ConnectBody{MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 5, Username: "bob"}}, mqtt, 200, wire.ContentTypeJSONUTF8, `{"userId":"bob","mqtt":{"userProperties":[{"name":"a","value":"b"}]}}`, nil},
		{"MQTT v5 unauthorized → 135", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.Unauthorized("who are you")
		}, nil, mqtt, 401, wire.ContentTypeJSONUTF8, `{"mqtt":{"code":135,"reason":"who are you"}}`, nil},
		{"MQTT v5 bad request → 134", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.BadRequest("bad")
		}, nil, mqtt, 400, wire.ContentTypeJSONUTF8, `{"mqtt":{"code":134,"reason":"bad"}}`, nil},
		{"MQTT v5 untyped → 128", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, errors.New("secret")
		}, nil, mqtt, 500, wire.ContentTypeJSONUTF8, `{"mqtt":{"code":128,"reason":"Internal Server Error"}}`, nil},
		{"MQTT 3.1.1 unauthorized → 5", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.Unauthorized("no")
		}, &handlertest.ConnectBody{MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 4}}, mqtt311, 401, wire.ContentTypeJSONUTF8, `{"mqtt":{"code":5,"reason":"no"}}`, nil},
		{"MQTT 3.1.1 server error → 3", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.ServerError("later")
		}, &handlertest.ConnectBody{MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 4}}, mqtt311, 500, wire.ContentTypeJSONUTF8, `{"mqtt":{"code":3,"reason":"later"}}`, nil},
		{"MQTT unknown version → 1", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			return nil, handler.Unauthorized("no")
		}, &handlertest.ConnectBody{MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 9}}, mqtt, 401, wire.ContentTypeJSONUTF8, `{"mqtt":{"code":1,"reason":"no"}}`, nil},
		{"MQTT explicit code banned → 403", func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
			e := handler.MQTTError(handler.MQTTBanned, "banned")
			e.MQTTUserProperties = []handler.MQTTUserProperty{{Name: "why", Value: "spam"}}
			return nil, e
		}, nil, mqtt, 403, wire.ContentTypeJSONUTF8, `{"mqtt":{"code":138,"reason":"banned","userProperties":[{"name":"why","value":"spam"}]}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []error
			hub := newHub(t, &handler.Options{OnError: func(ctx context.Context, ev *handler.ConnectionContext, err error) {
				errs = append(errs, err)
			}})
			if tt.fn != nil {
				hub.HandleConnect(tt.fn)
			}
			rec := serve(hub, handlertest.Connect("chat", tt.body, tt.req))
			checkResponse(t, rec, tt.wantStatus, tt.wantType, tt.wantBody)
			gotState := rec.Header().Get(wire.HeaderConnectionState)
			if tt.wantState == nil {
				if gotState != "" {
					t.Errorf("ce-connectionState = %q, want none", gotState)
				}
			} else if want := handlertest.State(tt.wantState); gotState != want {
				t.Errorf("ce-connectionState = %q, want %q", gotState, want)
			}
			untyped := tt.wantBody == "Internal Server Error" || strings.Contains(tt.wantBody, `"reason":"Internal Server Error"`)
			if untyped != (len(errs) == 1) {
				t.Errorf("OnError calls = %v, want one only for untyped errors and panics", errs)
			}
		})
	}
}

func TestConnectMQTTDecodes(t *testing.T) {
	hub := newHub(t, nil)
	var got *handler.ConnectRequest
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		got = req
		return nil, nil
	})
	props := &handler.MQTTConnectProperties{ProtocolVersion: 5, Username: "u", Password: []byte("pass"),
		UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}, CleanStart: true}
	rec := serve(hub, handlertest.Connect("chat", &handlertest.ConnectBody{MQTT: props, Subprotocols: []string{"mqtt"}},
		&handlertest.Options{ConnectionID: "client-id", MQTT: &handlertest.MQTT{PhysicalConnectionID: "phys"}}))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d %q", rec.Code, rec.Body)
	}
	if got.ClientProtocol != handler.ClientProtocolMQTT || got.MQTT == nil || got.MQTT.PhysicalConnectionID != "phys" || got.MQTT.SessionID != "" {
		t.Errorf("MQTT context = %v %+v", got.ClientProtocol, got.MQTT)
	}
	if !reflect.DeepEqual(got.MQTTConnect, props) {
		t.Errorf("MQTTConnect = %+v, want %+v", got.MQTTConnect, props)
	}
	// The password travels as base64 on the wire.
	raw, _ := json.Marshal(props)
	if !strings.Contains(string(raw), `"password":"cGFzcw=="`) {
		t.Errorf("wire form %s lacks base64 password", raw)
	}
}
