package emulator

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/internal/nodetest"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestInteropExpress sends the emulator's upstream calls to an @azure/web-pubsub-express app:
// connect (claims, query, subprotocols; the answer applied), connected, user events whose
// connection state round-trips through the emulator, disconnected, and a rejected connect.
func TestInteropExpress(t *testing.T) {
	nodetest.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	lines, _ := nodeLines(t, ctx, "emulator-express.mjs")
	port := nextLine(t, lines, "listening")["port"]
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{{
		URLTemplate:      fmt.Sprintf("http://127.0.0.1:%v/api/webpubsub/hubs/{hub}/{event}", port),
		UserEventPattern: "*",
		SystemEvents:     []string{"connect", "connected", "disconnected"},
	}}})

	// A rejected connect: the app's status and text reach the client's handshake.
	status, body := dialStatus(t, clientURL(s, "chat", url.Values{"access_token": {token(t, s, "chat", tokenOpts{})}, "reject": {"1"}}), nil)
	if status != 401 || !strings.Contains(body, "rejected by express") {
		t.Errorf("rejected handshake = %d %q, want 401 with the app's text", status, body)
	}
	nextLine(t, lines, "connect")

	q := url.Values{"access_token": {token(t, s, "chat", tokenOpts{sub: "tok-user"})}, "user": {"alice"}}
	c := dial(t, clientURL(s, "chat", q), protoJSONName)
	connect := nextLine(t, lines, "connect")
	if connect["userId"] != "tok-user" || fmt.Sprint(connect["claimSub"]) != "[tok-user]" || fmt.Sprint(connect["subprotocols"]) != "["+protoJSONName+"]" {
		t.Errorf("connect seen by express = %v", connect)
	}
	if qs, _ := connect["query"].(map[string]any); fmt.Sprint(qs["user"]) != "[alice]" {
		t.Errorf("connect query = %v", connect["query"])
	}
	hello := read(t, c)
	if hello.UserID != "express-alice" {
		t.Errorf("connected message = %+v, want the user id from the express answer", hello)
	}
	if conn := nextLine(t, lines, "connected"); conn["userId"] != "express-alice" || fmt.Sprint(conn["states"]) != "map[visits:0]" {
		t.Errorf("connected seen by express = %v", conn)
	}

	events := []struct {
		req       map[string]any
		wantReply string
		wantData  string
	}{
		{map[string]any{"type": "event", "event": "greet", "dataType": "text", "data": "hi"}, `"greet:hi:visits=1"`, "hi"},
		{map[string]any{"type": "event", "event": "greet", "dataType": "json", "data": map[string]int{"a": 1}}, `"greet:{\"a\":1}:visits=2"`, "map[a:1]"},
		{map[string]any{"type": "event", "event": "bin", "dataType": "binary", "data": "AAEC"}, "", "AAEC"},
	}
	for i, ev := range events {
		ev.req["ackId"] = i + 1
		write(t, c, ev.req)
		reply := read(t, c)
		if ev.wantReply != "" && (reply.From != "server" || reply.DataType != "text" || string(reply.Data) != ev.wantReply) {
			t.Errorf("reply %d = %+v, want %s", i, reply, ev.wantReply)
		}
		if ack := read(t, c); ack.Type != "ack" || !ack.Success {
			t.Errorf("ack %d = %+v", i, ack)
		}
		user := nextLine(t, lines, "user")
		if fmt.Sprint(user["data"]) != ev.wantData || user["visits"] != float64(i+1) || user["userId"] != "express-alice" {
			t.Errorf("user event %d seen by express = %v", i, user)
		}
	}
	// The groups and roles of the express answer are in effect.
	if ack := ackOf(t, c, map[string]any{"type": "sendToGroup", "group": "lobby", "data": "x", "ackId": 9, "noEcho": true}); !ack.Success {
		t.Errorf("sendToGroup with the role from express: %+v", ack)
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Logf("close: %v", err)
	}
	if dis := nextLine(t, lines, "disconnected"); dis["userId"] != "express-alice" || fmt.Sprint(dis["states"]) != "map[visits:3]" {
		t.Errorf("disconnected seen by express = %v", dis)
	}
}
