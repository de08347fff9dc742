package handler_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// FuzzState checks that any header decodes without panic and that a decoded state
// survives an encode/decode round trip unchanged.
func FuzzState(f *testing.F) {
	for _, s := range []string{"", "e30=", "eyJhIjoxfQ==", "eyJhIjoxfQ", b64(`{"a":{"b":[1,2,"c"]},"d":null}`),
		b64(`{"k":"` + b64(`{"x":1}`) + `"}`), "%%%", b64("[1]"), b64(`{"a":`), b64(`{"\u00e9":"\ud83d\ude00"}`)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		m, err := handler.DecodeState(header)
		if err != nil {
			if len(m) != 0 {
				t.Fatalf("DecodeState(%q) returned values with error %v", header, err)
			}
			return
		}
		values := make(map[string]any, len(m))
		for k, v := range m {
			values[k] = v
		}
		enc, err := handler.EncodeState(values)
		if err != nil {
			t.Fatalf("EncodeState of decoded %q: %v", header, err)
		}
		again, err := handler.DecodeState(enc)
		if err != nil {
			t.Fatalf("DecodeState(EncodeState(...)) = %v", err)
		}
		if len(again) != len(m) {
			t.Fatalf("round trip changed keys: %v vs %v", again, m)
		}
		for k, v := range m {
			var a, b any
			if json.Unmarshal(v, &a) != nil || json.Unmarshal(again[k], &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("round trip changed %q: %s vs %s", k, v, again[k])
			}
		}
	})
}

// FuzzDecode sends arbitrary event types, names, content types, bodies, states and MQTT
// user properties through a hub with every func registered: the hub must answer a
// status from its documented set, never panic.
func FuzzDecode(f *testing.F) {
	connect, _ := json.Marshal(handlertest.ConnectBody{Claims: map[string][]string{"sub": {"u"}}, Query: map[string][]string{"a": {"b"}}, Subprotocols: []string{"mqtt"}})
	mqttConnect := []byte(`{"mqtt":{"protocolVersion":5,"username":"u","password":"cGFzcw==","userProperties":[{"name":"a","value":"b"}]}}`)
	seeds := []struct {
		ceType, event, contentType string
		body                       []byte
		state                      string
		mqtt                       bool
		prop                       string
	}{
		{wire.TypeConnect, "connect", wire.ContentTypeJSONUTF8, connect, "", false, ""},
		{wire.TypeConnect, "connect", wire.ContentTypeJSONUTF8, mqttConnect, "", true, ""},
		{wire.TypeConnect, "connect", wire.ContentTypeJSONUTF8, []byte(`{"claims":{"a":"b"}}`), "", false, ""},
		{wire.TypeConnected, "connected", wire.ContentTypeJSONUTF8, []byte("{}"), "eyJhIjoxfQ==", false, ""},
		{wire.TypeDisconnected, "disconnected", wire.ContentTypeJSONUTF8, []byte(`{"reason":"x","mqtt":{"initiatedByClient":true,"disconnectPacket":{"code":0}}}`), "", true, ""},
		{wire.TypeMessage, "message", wire.ContentTypeText, []byte("hello"), "", false, ""},
		{wire.UserEventType("json"), "json", wire.ContentTypeJSON + "; charset=utf-8", []byte(`{"n":1}`), "%%", false, ""},
		{wire.UserEventType("bin"), "bin", wire.ContentTypeBinary, []byte{0, 255}, "", false, ""},
		{wire.UserEventType("t"), "t", "weird/type;;;", []byte("x"), "", true, "p"},
		{wire.TypeJoined, "joined", wire.ContentTypeJSONUTF8, []byte(`{"group":"g"}`), "", false, ""},
		{wire.TypeLeft, "left", wire.ContentTypeJSONUTF8, []byte(`{"group":1}`), "", false, ""},
		{"azure.webpubsub.sys.other", "", "", nil, "", false, ""},
	}
	for _, s := range seeds {
		f.Add(s.ceType, s.event, s.contentType, s.body, s.state, s.mqtt, s.prop)
	}
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}, MaxBodyBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		_ = req.State.Set("claims", req.Claims)
		return &handler.ConnectResponse{UserID: req.UserID, Groups: req.Subprotocols}, nil
	})
	hub.HandleAnyEvent(func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		var v any
		if ev.DataType == handler.DataTypeJSON && ev.DecodeJSON(&v) != nil {
			return nil, handler.BadRequest("bad json")
		}
		if err := ev.State.Set("last", ev.Text()); err != nil {
			return nil, err
		}
		return &handler.EventResponse{Data: ev.Data, DataType: ev.DataType, MQTTUserProperties: ev.MQTTUserProperties}, nil
	})
	hub.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error { return ev.State.Err() })
	hub.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error { return nil })
	hub.OnGroupJoined(func(ctx context.Context, ev *handler.GroupEvent) error { return nil })
	hub.OnGroupLeft(func(ctx context.Context, ev *handler.GroupEvent) error { return nil })
	allowed := map[int]bool{200: true, 204: true, 400: true, 401: true, 413: true, 415: true, 500: true}
	f.Fuzz(func(t *testing.T, ceType, event, contentType string, body []byte, state string, mqtt bool, prop string) {
		o := &handlertest.Options{State: state, Header: http.Header{wire.HeaderType: {ceType}, wire.HeaderEventName: {event}}}
		if mqtt {
			o.MQTT = &handlertest.MQTT{UserProperties: []handler.MQTTUserProperty{{Name: "x" + prop, Value: prop}}}
		}
		r := handlertest.Event("chat", "e", contentType, body, o)
		if !validHeaders(r.Header) {
			return // net/http would never deliver such a request
		}
		rec := httptest.NewRecorder()
		hub.ServeHTTP(rec, r)
		if !allowed[rec.Code] {
			t.Fatalf("status %d (%q) for type %q event %q content type %q", rec.Code, rec.Body, ceType, event, contentType)
		}
	})
}

func validHeaders(h http.Header) bool {
	for k, vs := range h {
		if k == "" {
			return false
		}
		for _, c := range []byte(k) {
			if c <= ' ' || c >= 0x7f || c == ':' {
				return false
			}
		}
		for _, v := range vs {
			for _, c := range []byte(v) {
				if c == '\r' || c == '\n' || c == 0 {
					return false
				}
			}
		}
	}
	return true
}
