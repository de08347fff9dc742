package handler_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func TestUserEventDecodes(t *testing.T) {
	tests := []struct {
		name        string
		req         func() *http.Request
		wantStatus  int
		wantName    string
		wantType    handler.DataType
		wantData    string
		wantProps   []handler.MQTTUserProperty
		wantProto   handler.ClientProtocol
		wantNotCall bool
	}{
		{"plain text message", func() *http.Request { return handlertest.Message("chat", "hello", nil) }, 204, "message", handler.DataTypeText, "hello", nil, handler.ClientProtocolDefault, false},
		{"text with charset", func() *http.Request {
			return handlertest.Event("chat", "message", "text/plain; charset=utf-8", []byte("héllo"), nil)
		}, 204, "message", handler.DataTypeText, "héllo", nil, handler.ClientProtocolDefault, false},
		{"json custom event", func() *http.Request {
			return handlertest.JSON("chat", "chat", map[string]int{"a": 1}, &handlertest.Options{Subprotocol: wire.SubprotocolJSON})
		}, 204, "chat", handler.DataTypeJSON, `{"a":1}`, nil, handler.ClientProtocolDefault, false},
		{"json upper-case media type with charset", func() *http.Request {
			return handlertest.Event("chat", "chat", "Application/JSON;charset=UTF-8", []byte(`"x"`), nil)
		}, 204, "chat", handler.DataTypeJSON, `"x"`, nil, handler.ClientProtocolDefault, false},
		{"binary", func() *http.Request { return handlertest.Binary("chat", "bin", []byte{0, 1, 255}, nil) }, 204, "bin", handler.DataTypeBinary, "\x00\x01\xff", nil, handler.ClientProtocolDefault, false},
		{"empty body", func() *http.Request { return handlertest.Event("chat", "ping", wire.ContentTypeText, nil, nil) }, 204, "ping", handler.DataTypeText, "", nil, handler.ClientProtocolDefault, false},
		{"event name from ce-type when ce-eventName is missing", func() *http.Request {
			return handlertest.Text("chat", "typed", "x", &handlertest.Options{Header: http.Header{wire.HeaderEventName: {""}}})
		}, 204, "typed", handler.DataTypeText, "x", nil, handler.ClientProtocolDefault, false},
		{"unsupported content type", func() *http.Request {
			return handlertest.Event("chat", "message", "image/png", []byte("x"), nil)
		}, 415, "", "", "", nil, "", true},
		{"missing content type", func() *http.Request { return handlertest.Event("chat", "message", "", []byte("x"), nil) }, 415, "", "", "", nil, "", true},
		{"MQTT any content type and user properties", func() *http.Request {
			return handlertest.Event("chat", "telemetry", "image/png", []byte("png"), &handlertest.Options{MQTT: &handlertest.MQTT{
				UserProperties: []handler.MQTTUserProperty{{Name: "Trace", Value: "1"}, {Name: "trace", Value: "2"}, {Name: "unit", Value: "C"}},
			}})
		}, 204, "telemetry", handler.DataTypeBinary, "png", []handler.MQTTUserProperty{{Name: "trace", Value: "1"}, {Name: "trace", Value: "2"}, {Name: "unit", Value: "C"}}, handler.ClientProtocolMQTT, false},
		{"MQTT without content type", func() *http.Request {
			return handlertest.Event("chat", "telemetry", "", []byte("raw"), &handlertest.Options{MQTT: &handlertest.MQTT{}})
		}, 204, "telemetry", handler.DataTypeBinary, "raw", nil, handler.ClientProtocolMQTT, false},
		{"MQTT malformed content type", func() *http.Request {
			return handlertest.Event("chat", "telemetry", "a/b; =", []byte("raw"), &handlertest.Options{MQTT: &handlertest.MQTT{}})
		}, 415, "", "", "", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, nil)
			var got *handler.UserEvent
			hub.HandleAnyEvent(func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
				got = ev
				return nil, nil
			})
			rec := serve(hub, tt.req())
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%q)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantNotCall {
				if got != nil {
					t.Fatal("func called")
				}
				return
			}
			if got.EventName != tt.wantName || got.DataType != tt.wantType || string(got.Data) != tt.wantData || got.Text() != tt.wantData {
				t.Errorf("event = %q %q %q, want %q %q %q", got.EventName, got.DataType, got.Data, tt.wantName, tt.wantType, tt.wantData)
			}
			props := got.MQTTUserProperties
			sortProps(props)
			if !reflect.DeepEqual(props, tt.wantProps) {
				t.Errorf("MQTTUserProperties = %v, want %v", props, tt.wantProps)
			}
			if got.ClientProtocol != tt.wantProto {
				t.Errorf("ClientProtocol = %q, want %q", got.ClientProtocol, tt.wantProto)
			}
		})
	}
}

func sortProps(p []handler.MQTTUserProperty) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Name+"\x00"+p[j].Value < p[j-1].Name+"\x00"+p[j-1].Value; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

func TestUserEventResponses(t *testing.T) {
	tests := []struct {
		name       string
		fn         handler.EventFunc
		wantStatus int
		wantType   string
		wantBody   string
		wantHeader http.Header
	}{
		{"nil reply", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) { return nil, nil }, 204, "", "", nil},
		{"text", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return handler.TextResponse("echo: " + ev.Text()), nil
		}, 200, wire.ContentTypeTextUTF8, "echo: hi", nil},
		{"json", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return handler.JSONResponse(map[string]string{"echo": ev.Text()})
		}, 200, wire.ContentTypeJSONUTF8, `{"echo":"hi"}`, nil},
		{"json marshal error → 500", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return handler.JSONResponse(func() {})
		}, 500, wire.ContentTypeTextUTF8, "Internal Server Error", nil},
		{"binary", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return handler.BinaryResponse([]byte{1, 2}), nil
		}, 200, wire.ContentTypeBinary, "\x01\x02", nil},
		{"data without type is binary", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return &handler.EventResponse{Data: []byte("x")}, nil
		}, 200, wire.ContentTypeBinary, "x", nil},
		{"empty text reply", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return handler.TextResponse(""), nil
		}, 200, wire.ContentTypeTextUTF8, "", nil},
		{"custom content type and MQTT properties", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return &handler.EventResponse{Data: []byte("<x/>"), ContentType: "application/xml",
				MQTTUserProperties: []handler.MQTTUserProperty{{Name: "replyTo", Value: "a"}, {Name: "replyTo", Value: "b"}}}, nil
		}, 200, "application/xml", "<x/>", http.Header{"mqtt-replyTo": {"a", "b"}}},
		{"typed error", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return nil, handler.BadRequest("no such room")
		}, 400, wire.ContentTypeTextUTF8, "no such room", nil},
		{"untyped error", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			return nil, errors.New("connection refused to db at 10.0.0.5")
		}, 500, wire.ContentTypeTextUTF8, "Internal Server Error", nil},
		{"panic", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
			var m map[string]int
			m["x"] = 1
			return nil, nil
		}, 500, wire.ContentTypeTextUTF8, "Internal Server Error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			var hooked []error
			hub := newHub(t, &handler.Options{Logger: logs.logger(), OnError: func(ctx context.Context, ev *handler.ConnectionContext, err error) {
				hooked = append(hooked, err)
			}})
			hub.HandleEvent("message", tt.fn)
			rec := serve(hub, handlertest.Message("chat", "hi", nil))
			checkResponse(t, rec, tt.wantStatus, tt.wantType, tt.wantBody)
			for k, v := range tt.wantHeader {
				if got := rec.Header()[k]; !reflect.DeepEqual(got, v) {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tt.wantStatus == 500 {
				if len(hooked) != 1 || !strings.Contains(logs.String(), "level=ERROR") {
					t.Errorf("500 not reported: OnError %v, log %q", hooked, logs.String())
				}
				if strings.Contains(tt.name, "panic") {
					var pe *handler.PanicError
					if !errors.As(hooked[0], &pe) || !strings.Contains(logs.String(), "stack=") {
						t.Errorf("panic not reported as *PanicError with stack: %v", hooked[0])
					}
				}
			} else if len(hooked) != 0 {
				t.Errorf("OnError called for %v", hooked)
			}
		})
	}
}

func TestUserEventRouting(t *testing.T) {
	var logs logBuffer
	hub := newHub(t, &handler.Options{Logger: logs.logger()})
	var calls []string
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		calls = append(calls, "message")
		return nil, nil
	})
	hub.HandleEvent("Message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		calls = append(calls, "Message")
		return nil, nil
	})
	for _, name := range []string{"message", "Message", "other", "other"} {
		rec := serve(hub, handlertest.Text("chat", name, "x", nil))
		if name == "other" {
			checkResponse(t, rec, 200, "", "")
		} else if rec.Code != 204 {
			t.Errorf("%s: status %d", name, rec.Code)
		}
	}
	if want := []string{"message", "Message"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("calls = %v, want %v (names match exactly)", calls, want)
	}
	if n := strings.Count(logs.String(), `no func for user event`); n != 1 || !strings.Contains(logs.String(), "event=other") {
		t.Errorf("unhandled event logged %d times, want once naming it: %q", n, logs.String())
	}
}

func TestHandleJSON(t *testing.T) {
	type chat struct {
		Room string `json:"room"`
		Text string `json:"text"`
	}
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantBody   string
	}{
		{"decodes", handlertest.JSON("chat", "chat", chat{"lobby", "hi"}, nil), 200, `{"room":"lobby","text":"hi!"}`},
		{"bad JSON", handlertest.Event("chat", "chat", wire.ContentTypeJSON, []byte(`{"room":`), nil), 400, ""},
		{"wrong shape", handlertest.JSON("chat", "chat", []int{1}, nil), 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, nil)
			handler.HandleJSON(hub, "chat", func(ctx context.Context, ev *handler.UserEvent, v chat) (*handler.EventResponse, error) {
				v.Text += "!"
				return handler.JSONResponse(v)
			})
			rec := serve(hub, tt.req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%q)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 200 && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
			if tt.wantStatus == 400 && !strings.Contains(rec.Body.String(), `event "chat": invalid JSON payload`) {
				t.Errorf("400 body %q does not say why", rec.Body)
			}
		})
	}
}

func TestUserEventDecodeJSON(t *testing.T) {
	hub := newHub(t, nil)
	var got map[string]int
	hub.HandleEvent("e", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return nil, ev.DecodeJSON(&got)
	})
	if rec := serve(hub, handlertest.JSON("chat", "e", map[string]int{"n": 3}, nil)); rec.Code != 204 || got["n"] != 3 {
		t.Fatalf("status %d, decoded %v", rec.Code, got)
	}
}

func TestUnhandledEventLogBounded(t *testing.T) {
	var logs logBuffer
	hub := newHub(t, &handler.Options{Logger: logs.logger()})
	for i := range 300 {
		name := "e" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if rec := serve(hub, handlertest.Text("chat", name, "x", nil)); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if n := strings.Count(logs.String(), "no func for user event"); n != 256 {
		t.Errorf("logged %d unhandled names, want the bound 256", n)
	}
}
