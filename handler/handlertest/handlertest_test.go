package handlertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func TestBuilders(t *testing.T) {
	tests := []struct {
		name     string
		req      *http.Request
		ceType   string
		event    string
		ct       string
		body     string
		method   string
		unsigned bool
	}{
		{"connect", handlertest.Connect("chat", nil, nil), wire.TypeConnect, "connect", wire.ContentTypeJSONUTF8, `{"subprotocols":[],"clientCertificates":[]}`, "POST", false},
		{"connected", handlertest.Connected("chat", nil), wire.TypeConnected, "connected", wire.ContentTypeJSONUTF8, `{}`, "POST", false},
		{"disconnected", handlertest.Disconnected("chat", &handlertest.DisconnectedBody{Reason: "r"}, nil), wire.TypeDisconnected, "disconnected", wire.ContentTypeJSONUTF8, `{"reason":"r"}`, "POST", false},
		{"message", handlertest.Message("chat", "hi", nil), wire.TypeMessage, "message", "text/plain", "hi", "POST", false},
		{"text", handlertest.Text("chat", "e", "hi", nil), "azure.webpubsub.user.e", "e", "text/plain", "hi", "POST", false},
		{"json", handlertest.JSON("chat", "e", []int{1}, nil), "azure.webpubsub.user.e", "e", "application/json", "[1]", "POST", false},
		{"binary", handlertest.Binary("chat", "e", []byte{1}, nil), "azure.webpubsub.user.e", "e", "application/octet-stream", "\x01", "POST", false},
		{"joined", handlertest.GroupJoined("chat", "g", nil), wire.TypeJoined, "joined", wire.ContentTypeJSONUTF8, `{"group":"g"}`, "POST", false},
		{"left", handlertest.GroupLeft("chat", "g", nil), wire.TypeLeft, "left", wire.ContentTypeJSONUTF8, `{"group":"g"}`, "POST", false},
		{"unsigned", handlertest.Connected("chat", &handlertest.Options{Unsigned: true}), wire.TypeConnected, "connected", wire.ContentTypeJSONUTF8, `{}`, "POST", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.req.Header
			checks := map[string]string{
				wire.HeaderType: tt.ceType, wire.HeaderEventName: tt.event, "Content-Type": tt.ct,
				wire.HeaderHub: "chat", wire.HeaderConnectionID: handlertest.ConnectionID,
				wire.HeaderSpecVersion: "1.0", wire.HeaderAwpsVersion: "1.0",
				wire.HeaderRequestOrigin: handlertest.Origin, wire.HeaderTime: handlertest.Time.Format(time.RFC3339Nano),
				wire.HeaderSource: "/hubs/chat/client/" + handlertest.ConnectionID,
			}
			for k, want := range checks {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if h.Get(wire.HeaderID) == "" {
				t.Error("no ce-id")
			}
			if got := wire.VerifySignature(h.Get(wire.HeaderSignature), handlertest.ConnectionID, []string{handlertest.AccessKey}); got == tt.unsigned {
				t.Errorf("signature verifies = %v, unsigned = %v", got, tt.unsigned)
			}
			b, _ := io.ReadAll(tt.req.Body)
			if string(b) != tt.body || tt.req.Method != tt.method {
				t.Errorf("%s body %q, want %s %q", tt.req.Method, b, tt.method, tt.body)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	when := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	r := handlertest.Event("chat", "e", "text/plain", []byte("x"), &handlertest.Options{
		Keys: []string{"k1", "k2"}, ConnectionID: "c", UserID: "u", State: "e30=", Origin: "o.example", ID: "id1", Time: when,
		MQTT:   &handlertest.MQTT{PhysicalConnectionID: "p", SessionID: "s", UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}},
		Target: "/custom", Header: http.Header{"X-Extra": {"1"}, wire.HeaderUserID: {""}},
	})
	checks := map[string]string{
		wire.HeaderSignature: wire.Sign("c", "k1", "k2"), wire.HeaderConnectionID: "c", wire.HeaderUserID: "",
		wire.HeaderConnectionState: "e30=", wire.HeaderRequestOrigin: "o.example", wire.HeaderID: "id1",
		wire.HeaderTime: "2030-01-02T03:04:05Z", wire.HeaderSubprotocol: "mqtt", wire.HeaderPhysicalConnectionID: "p",
		wire.HeaderSessionID: "s", "mqtt-a": "b", "X-Extra": "1", wire.HeaderSource: "/hubs/chat/client/c/p",
	}
	for k, want := range checks {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if r.URL.Path != "/custom" {
		t.Errorf("path = %q", r.URL.Path)
	}
	c := handlertest.Connect("chat", nil, &handlertest.Options{MQTT: &handlertest.MQTT{}})
	var body handlertest.ConnectBody
	if err := json.NewDecoder(c.Body).Decode(&body); err != nil || body.MQTT == nil || body.MQTT.ProtocolVersion != 5 || c.Header.Get(wire.HeaderSessionID) != "" {
		t.Errorf("MQTT connect body %+v (%v), session %q", body, err, c.Header.Get(wire.HeaderSessionID))
	}
}

func TestValidateAndState(t *testing.T) {
	r := handlertest.Validate("chat", "")
	if r.Method != http.MethodOptions || r.Header.Get(wire.HeaderRequestOrigin) != handlertest.Origin || r.URL.Path != "/api/webpubsub/hubs/chat/validate" {
		t.Errorf("Validate = %s %s %v", r.Method, r.URL, r.Header)
	}
	if got := handlertest.State(map[string]any{"a": 1}); got != "eyJhIjoxfQ==" {
		t.Errorf("State = %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("State with an unmarshallable value did not panic")
		}
	}()
	handlertest.State(map[string]any{"f": func() {}})
}

func TestForClient(t *testing.T) {
	r, err := handlertest.ForClient(handlertest.Message("chat", "x", nil), "http://127.0.0.1:1234")
	if err != nil || r.RequestURI != "" || r.URL.String() != "http://127.0.0.1:1234/api/webpubsub/hubs/chat/message" || r.Host != "127.0.0.1:1234" {
		t.Fatalf("ForClient = %v %v", r.URL, err)
	}
	if _, err := handlertest.ForClient(handlertest.Message("chat", "x", nil), "::bad"); err == nil {
		t.Fatal("ForClient accepted a bad URL")
	}
}
