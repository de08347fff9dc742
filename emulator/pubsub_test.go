package emulator

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/service"
)

const (
	protoJSONName     = "json.webpubsub.azure.v1"
	protoReliableName = "json.reliable.webpubsub.azure.v1"
)

// ackOf sends req and returns the ack for ackId (skipping other frames).
func ackOf(t *testing.T, c *websocket.Conn, req map[string]any) msg {
	t.Helper()
	write(t, c, req)
	for {
		m := read(t, c)
		if m.Type == "ack" {
			return m
		}
	}
}

func TestPermissionsEnforced(t *testing.T) {
	s := startEmulator(t, Config{})
	tests := []struct {
		name      string
		roles     []string
		grant     string // permission granted through the REST side before the request
		req       map[string]any
		wantError string
		wantMsg   string
	}{
		{"join without role", nil, "", map[string]any{"type": "joinGroup", "group": "g"}, "Forbidden", "The client has no permission to join or leave group 'g'."},
		{"leave without role", nil, "", map[string]any{"type": "leaveGroup", "group": "g"}, "Forbidden", ""},
		{"send without role", nil, "", map[string]any{"type": "sendToGroup", "group": "g", "data": 1}, "Forbidden", "The client has no permission to send message to group 'g'."},
		{"join with global role", []string{"webpubsub.joinLeaveGroup"}, "", map[string]any{"type": "joinGroup", "group": "g"}, "", ""},
		{"join with group role", []string{"webpubsub.joinLeaveGroup.g"}, "", map[string]any{"type": "joinGroup", "group": "g"}, "", ""},
		{"join other group with group role", []string{"webpubsub.joinLeaveGroup.g"}, "", map[string]any{"type": "joinGroup", "group": "h"}, "Forbidden", ""},
		{"send with wildcard role", []string{"webpubsub.sendToGroups.g*"}, "", map[string]any{"type": "sendToGroup", "group": "g1", "data": 1}, "", ""},
		{"send with REST grant", nil, permSendToGroup, map[string]any{"type": "sendToGroup", "group": "g", "data": 1}, "", ""},
		{"join with REST grant", nil, permJoinLeaveGroup, map[string]any{"type": "joinGroup", "group": "g"}, "", ""},
		{"event needs no role", nil, "", map[string]any{"type": "event", "event": "e", "data": 1}, "NotFound", ""},
		{"bad request", nil, "", map[string]any{"type": "joinGroup", "group": " "}, "BadRequest", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, hello := connectJSON(t, s, "chat", protoJSONName, tokenOpts{roles: tt.roles})
			if tt.grant != "" && !s.hub("chat").grantPermission(hello.ConnectionID, tt.grant, "g") {
				t.Fatal("grantPermission: no such connection")
			}
			tt.req["ackId"] = i + 1
			m := ackOf(t, c, tt.req)
			gotErr := ""
			if m.Error != nil {
				gotErr = m.Error.Name
			}
			if m.AckID != uint64(i+1) || m.Success != (tt.wantError == "") || gotErr != tt.wantError {
				t.Errorf("ack = %+v, want error %q", m, tt.wantError)
			}
			if tt.wantMsg != "" && (m.Error == nil || m.Error.Message != tt.wantMsg) {
				t.Errorf("ack message = %+v, want %q", m.Error, tt.wantMsg)
			}
		})
	}
}

func TestGroupMessagingAndAcks(t *testing.T) {
	s := startEmulator(t, Config{})
	roles := []string{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}
	a, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "alice", roles: roles})
	b, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "bob", roles: roles})
	for i, c := range []*websocket.Conn{a, b} {
		if m := ackOf(t, c, map[string]any{"type": "joinGroup", "group": "room", "ackId": 1}); !m.Success {
			t.Fatalf("join %d: %+v", i, m)
		}
	}
	// Duplicate ack id: not executed again.
	if m := ackOf(t, a, map[string]any{"type": "joinGroup", "group": "room", "ackId": 1}); m.Success || m.Error == nil || m.Error.Name != "Duplicate" {
		t.Errorf("duplicate ack = %+v, want Duplicate", m)
	}
	// noEcho: alice does not get her own message, bob does.
	write(t, a, map[string]any{"type": "sendToGroup", "group": "room", "noEcho": true, "dataType": "json", "data": map[string]int{"n": 1}, "ackId": 2})
	if m := read(t, a); m.Type != "ack" || !m.Success {
		t.Errorf("alice got %+v, want only the ack", m)
	}
	if m := read(t, b); m.Type != "message" || m.From != "group" || m.FromUserID != "alice" || m.DataType != "json" || string(m.Data) != `{"n":1}` {
		t.Errorf("bob got %+v", m)
	}
	// Echo by default; binary round-trips.
	write(t, a, map[string]any{"type": "sendToGroup", "group": "room", "dataType": "binary", "data": "AAEC"})
	for _, c := range []*websocket.Conn{a, b} {
		if m := read(t, c); m.DataType != "binary" || string(m.Data) != `"AAEC"` {
			t.Errorf("binary message = %+v", m)
		}
	}
	// Leave: no more group messages for bob.
	if m := ackOf(t, b, map[string]any{"type": "leaveGroup", "group": "room", "ackId": 3}); !m.Success {
		t.Fatalf("leave: %+v", m)
	}
	write(t, a, map[string]any{"type": "sendToGroup", "group": "room", "dataType": "text", "data": "after"})
	s.hub("chat").sendToAll(outMessage{data: []byte("marker"), dataType: dataText}, nil, nil)
	if m := read(t, b); string(m.Data) != `"marker"` || m.From != "server" {
		t.Errorf("bob after leaving got %+v, want the server marker", m)
	}
	// ping/pong
	write(t, a, map[string]any{"type": "ping"})
	for {
		m := read(t, a)
		if m.Type == "pong" {
			break
		}
	}
}

func TestReliableSequenceAndRecovery(t *testing.T) {
	s := startEmulator(t, Config{})
	c, hello := connectJSON(t, s, "chat", protoReliableName, tokenOpts{sub: "u", groups: []string{"room"}})
	if hello.ReconnectionToken == "" {
		t.Fatal("reliable connected message without reconnectionToken")
	}
	h := s.hub("chat")
	send := func(text string) {
		h.sendToGroup("room", outMessage{data: []byte(text), dataType: dataText}, nil, nil)
	}
	send("m1")
	send("m2")
	for i, want := range []string{`"m1"`, `"m2"`} {
		if m := read(t, c); m.SequenceID != uint64(i+1) || string(m.Data) != want {
			t.Fatalf("message %d = %+v", i, m)
		}
	}
	write(t, c, map[string]any{"type": "sequenceAck", "sequenceId": 1})
	cn := h.lookup(hello.ConnectionID)
	waitFor(t, "the sequence ack", func() bool {
		cn.mu.Lock()
		defer cn.mu.Unlock()
		return len(cn.unacked) == 1
	})

	// Drop the network; messages sent meanwhile are kept.
	if err := s.DropConnection("chat", hello.ConnectionID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(t.Context()); err == nil {
		t.Fatal("read after drop succeeded")
	}
	waitFor(t, "the drop to be noticed", func() bool {
		cn.mu.Lock()
		defer cn.mu.Unlock()
		return cn.ws == nil
	})
	send("m3")
	if !h.connectionExists(hello.ConnectionID) || !h.groupExists("room") {
		t.Fatal("recoverable connection or its group vanished")
	}

	// A wrong token is refused with 1008.
	bad := dial(t, clientURL(s, "chat", url.Values{"awps_connection_id": {hello.ConnectionID}, "awps_reconnection_token": {"wrong"}}), protoReliableName)
	if _, _, err := bad.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("bad token close = %v, want 1008", err)
	}

	// Recovery: a fresh connected message, then m2 (unacked) and m3 with their ids.
	r := dial(t, clientURL(s, "chat", url.Values{"awps_connection_id": {hello.ConnectionID}, "awps_reconnection_token": {hello.ReconnectionToken}}), protoReliableName)
	m := read(t, r)
	if m.Type != "system" || m.Event != "connected" || m.ConnectionID != hello.ConnectionID || m.ReconnectionToken == "" || m.ReconnectionToken == hello.ReconnectionToken {
		t.Fatalf("after recovery got %+v, want connected with a fresh token", m)
	}
	for _, want := range []struct {
		seq  uint64
		data string
	}{{2, `"m2"`}, {3, `"m3"`}} {
		if m := read(t, r); m.SequenceID != want.seq || string(m.Data) != want.data {
			t.Errorf("redelivered %+v, want seq %d %s", m, want.seq, want.data)
		}
	}
	// Groups survived: a new message arrives with the next id.
	send("m4")
	if m := read(t, r); m.SequenceID != 4 || string(m.Data) != `"m4"` {
		t.Errorf("after recovery %+v, want seq 4", m)
	}
	// The old token is no longer valid.
	old := dial(t, clientURL(s, "chat", url.Values{"awps_connection_id": {hello.ConnectionID}, "awps_reconnection_token": {hello.ReconnectionToken}}), protoReliableName)
	if _, _, err := old.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("stale token close = %v, want 1008", err)
	}
}

func TestRecoveryWindowExpires(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	c, hello := connectJSON(t, s, "chat", protoReliableName, tokenOpts{})
	up.next("connected")
	cn := s.hub("chat").lookup(hello.ConnectionID)
	if err := s.DropConnection("chat", hello.ConnectionID); err != nil {
		t.Fatal(err)
	}
	_, _, _ = c.Read(t.Context())
	waitFor(t, "the recovery timer", func() bool {
		cn.mu.Lock()
		defer cn.mu.Unlock()
		return cn.recovery != nil
	})
	// Fire the window now instead of waiting for it.
	cn.mu.Lock()
	cn.recovery.Reset(0)
	cn.mu.Unlock()
	dis := up.next("disconnected")
	if !strings.Contains(string(dis.body), "not recovered") {
		t.Errorf("disconnected body = %s", dis.body)
	}
	if s.hub("chat").connectionExists(hello.ConnectionID) {
		t.Error("connection still exists after the recovery window")
	}
}

func TestMalformedFrames(t *testing.T) {
	s := startEmulator(t, Config{})
	bystander, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{groups: []string{"room"}})
	tests := []struct {
		name  string
		typ   websocket.MessageType
		frame string
	}{
		{"not json", websocket.MessageText, "hello"},
		{"no type", websocket.MessageText, `{"group":"g"}`},
		{"binary frame", websocket.MessageBinary, `{"type":"ping"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
			if err := c.Write(t.Context(), tt.typ, []byte(tt.frame)); err != nil {
				t.Fatal(err)
			}
			m := read(t, c)
			if m.Type != "system" || m.Event != "disconnected" || m.Message == "" {
				t.Errorf("got %+v, want the disconnected system message", m)
			}
			if _, _, err := c.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Errorf("close = %v, want 1008", err)
			}
		})
	}
	// Everyone else is still served.
	s.hub("chat").sendToGroup("room", outMessage{data: []byte("still"), dataType: dataText}, nil, nil)
	if m := read(t, bystander); string(m.Data) != `"still"` {
		t.Errorf("bystander got %+v", m)
	}
}

func TestOversizedMessage(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{MaxMessageSize: 1024}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	c, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
	up.next("connected")
	big := `{"type":"event","event":"e","dataType":"text","data":"` + strings.Repeat("x", 1100) + `"}`
	if err := c.Write(t.Context(), websocket.MessageText, []byte(big)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Errorf("close = %v, want 1009", err)
	}
	if dis := up.next("disconnected"); !strings.Contains(string(dis.body), "size limit of 1024") {
		t.Errorf("disconnected body = %s", dis.body)
	}
	// A message at the limit passes.
	c2, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
	fit := `{"type":"ping","pad":"` + strings.Repeat("x", 1024-len(`{"type":"ping","pad":""}`)) + `"}`
	write(t, c2, map[string]any{"type": "ping"})
	if err := c2.Write(t.Context(), websocket.MessageText, []byte(fit)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if m := read(t, c2); m.Type != "pong" {
			t.Errorf("got %+v, want pong", m)
		}
	}
}

func TestUserEventFailures(t *testing.T) {
	up := newUpstream(t)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	s := startEmulator(t, Config{UpstreamTimeout: 300 * time.Millisecond}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	tests := []struct {
		name    string
		respond func(w http.ResponseWriter)
	}{
		{"401", func(w http.ResponseWriter) { http.Error(w, "no", 401) }},
		{"500", func(w http.ResponseWriter) { http.Error(w, "boom", 500) }},
		{"hangs", func(w http.ResponseWriter) { <-hang }},
		{"oversized state", func(w http.ResponseWriter) {
			w.Header().Set("ce-connectionState", strings.Repeat("s", DefaultMaxStateSize+1))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up.setRespond(func(w http.ResponseWriter, ev event) {
				if ev.name() == "fail" {
					tt.respond(w)
				}
			})
			c, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
			write(t, c, map[string]any{"type": "event", "event": "fail", "data": 1, "ackId": 1})
			m := read(t, c)
			if m.Type != "ack" || m.Success || m.Error == nil || m.Error.Name != "InternalServerError" {
				t.Errorf("ack = %+v, want InternalServerError", m)
			}
			if m = read(t, c); m.Type != "system" || m.Event != "disconnected" {
				t.Errorf("got %+v, want disconnected", m)
			}
			if _, _, err := c.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusInternalError {
				t.Errorf("close = %v, want 1011", err)
			}
		})
	}
}

func TestSlowConsumer(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"message bound", Config{SendQueueMessages: 50}},
		{"byte bound", Config{SendQueueBytes: 1 << 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t)
			s := startEmulator(t, tt.cfg, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
			fast, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
			_, slowHello := connectJSON(t, s, "chat", protoJSONName, tokenOpts{}) // never reads again
			h := s.hub("chat")
			payload := strings.Repeat("p", 64<<10)
			const n = 400 // 25 MiB in total: far more than the socket buffers of the slow reader
			done := make(chan struct{})
			readOne := make(chan struct{})
			go func() {
				defer close(done)
				for i := range n {
					h.sendToAll(outMessage{data: []byte(strconv.Itoa(i) + payload), dataType: dataText}, nil, nil)
					<-readOne // paced by the fast consumer, whose queue therefore stays short
				}
			}()
			for i := range n {
				m := read(t, fast)
				readOne <- struct{}{}
				if !strings.HasPrefix(strings.Trim(string(m.Data), `"`), strconv.Itoa(i)+"ppp") {
					t.Fatalf("fast consumer message %d = %.20s", i, m.Data)
				}
			}
			<-done
			for {
				ev := up.next("disconnected")
				if ev.header.Get("ce-connectionId") == slowHello.ConnectionID {
					if !strings.Contains(string(ev.body), "fast enough") {
						t.Errorf("slow consumer disconnected body = %s", ev.body)
					}
					break
				}
			}
			if h.connectionExists(slowHello.ConnectionID) {
				t.Error("slow consumer still connected")
			}
		})
	}
}

func TestConnectionLimit(t *testing.T) {
	s := startEmulator(t, Config{MaxConnections: 2})
	u := clientURL(s, "chat", url.Values{"access_token": {token(t, s, "chat", tokenOpts{})}})
	a := dial(t, u)
	dial(t, u)
	if got, body := dialStatus(t, u, nil); got != http.StatusTooManyRequests {
		t.Errorf("third handshake = %d %s, want 429", got, body)
	}
	// A slot frees when a connection ends.
	_ = a.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "a free slot", func() bool {
		got, _ := dialStatus(t, u, nil)
		return got == http.StatusSwitchingProtocols
	})
}

func TestKeepAliveDropsSilentClient(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{KeepAliveInterval: 100 * time.Millisecond}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	// A raw TCP client that completes the handshake and then never reads (so never pongs).
	addr := strings.TrimPrefix(s.URL(), "http://")
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	req := "GET /client/hubs/chat?access_token=" + token(t, s, "chat", tokenOpts{}) + " HTTP/1.1\r\nHost: " + addr +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := raw.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	connID := up.next("connect").header.Get("ce-connectionId")
	// A well-behaved client on the same hub stays.
	good, hello := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
	go func() { _, _, _ = good.Read(context.Background()) }() // reading answers pings
	for {
		ev := up.next("disconnected")
		if ev.header.Get("ce-connectionId") == connID {
			break
		}
		if ev.header.Get("ce-connectionId") == hello.ConnectionID {
			t.Fatal("the responsive client was dropped")
		}
	}
	if !s.hub("chat").connectionExists(hello.ConnectionID) {
		t.Error("the responsive client is gone")
	}
}

func TestRESTOperationsReachClients(t *testing.T) {
	s := startEmulator(t, Config{})
	h := s.hub("chat")
	a, ha := connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "alice"})
	b, hb := connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "bob"})
	plain := dial(t, clientURL(s, "chat", url.Values{"access_token": {token(t, s, "chat", tokenOpts{sub: "carol"})}}))
	waitFor(t, "carol", func() bool { return h.userExists("carol") })

	h.sendToAll(outMessage{data: []byte(`{"k":"v"}`), dataType: dataJSON}, []string{hb.ConnectionID}, nil)
	if m := read(t, a); m.DataType != "json" || string(m.Data) != `{"k":"v"}` {
		t.Errorf("alice got %+v", m)
	}
	if typ, data, err := plain.Read(t.Context()); err != nil || typ != websocket.MessageText || string(data) != `{"k":"v"}` {
		t.Errorf("plain got %v %q %v", typ, data, err)
	}
	h.sendToAll(outMessage{data: []byte{9}, dataType: dataBinary}, nil, func(tg target) bool { return tg.userID == "bob" })
	if m := read(t, b); m.DataType != "binary" || string(m.Data) != `"CQ=="` {
		t.Errorf("bob (filtered) got %+v, want the binary message and not the excluded one", m)
	}
	h.sendToUser("alice", outMessage{data: []byte("to alice"), dataType: dataText}, nil)
	if m := read(t, a); string(m.Data) != `"to alice"` {
		t.Errorf("alice got %+v", m)
	}
	if !h.sendToConnection(hb.ConnectionID, outMessage{data: []byte("to bob"), dataType: dataText}) {
		t.Error("sendToConnection: bob not found")
	}
	if m := read(t, b); string(m.Data) != `"to bob"` {
		t.Errorf("bob got %+v", m)
	}
	if h.sendToConnection("nope", outMessage{}) {
		t.Error("sendToConnection to an unknown connection reported true")
	}

	h.addUserToGroup("g", "alice")
	h.addConnectionsToGroups([]string{"g2"}, func(tg target) bool { return tg.userID == "bob" })
	if !h.groupExists("g") || !h.groupExists("g2") {
		t.Error("groups missing")
	}
	if got := h.listConnectionsInGroup("g"); len(got) != 1 || got[0] != (groupMember{ha.ConnectionID, "alice"}) {
		t.Errorf("listConnectionsInGroup = %v", got)
	}
	h.removeConnectionsFromGroups([]string{"g2"}, nil)
	if h.groupExists("g2") {
		t.Error("g2 still exists")
	}
	if exists, granted := h.checkPermission(ha.ConnectionID, permSendToGroup, "g"); !exists || granted {
		t.Errorf("checkPermission = %v %v, want true false", exists, granted)
	}

	if !h.closeConnection(ha.ConnectionID, "bye alice") {
		t.Fatal("closeConnection: alice not found")
	}
	if m := read(t, a); m.Type != "system" || m.Event != "disconnected" || m.Message != "bye alice" {
		t.Errorf("alice got %+v", m)
	}
	if _, _, err := a.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("alice close = %v, want 1000", err)
	}
	if h.userExists("alice") || h.groupExists("g") {
		t.Error("alice or her group survived the close")
	}
	h.closeAll(nil, "all")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, _, err := plain.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("plain close = %v", err)
	}
}

// openFDs counts this process's open file descriptors (Linux).
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("needs /proc/self/fd")
	}
	return len(entries)
}

func TestAbruptDisconnectReleasesSocket(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	h := s.hub("chat")
	// Warm up the upstream's keep-alive connection so that it does not count.
	c0, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
	up.next("connected")
	_ = c0.Close(websocket.StatusNormalClosure, "")
	up.next("disconnected")
	before := openFDs(t)
	const n = 20
	for range n {
		c, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
		up.next("connected")
		_ = c.CloseNow() // no close frame: the server sees EOF
		up.next("disconnected")
	}
	waitFor(t, "the sockets to be closed", func() bool {
		h.mu.RLock()
		empty := len(h.conns) == 0
		h.mu.RUnlock()
		return empty && openFDs(t) <= before+2
	})
}

func TestGroupPresenceEvents(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	c, hello := connectJSON(t, s, "chat", protoJSONName, tokenOpts{sub: "u", roles: []string{"webpubsub.joinLeaveGroup"}})
	up.next("connected")
	h := s.hub("chat")
	steps := []struct {
		name   string
		do     func()
		event  string
		groups []string
	}{
		{"client join", func() { ackOf(t, c, map[string]any{"type": "joinGroup", "group": "a", "ackId": 1}) }, "joined", []string{"a"}},
		{"client join again (no change)", func() { ackOf(t, c, map[string]any{"type": "joinGroup", "group": "a", "ackId": 2}) }, "", nil},
		{"REST add", func() { h.addConnectionToGroup("b", hello.ConnectionID) }, "joined", []string{"b"}},
		{"client leave", func() { ackOf(t, c, map[string]any{"type": "leaveGroup", "group": "a", "ackId": 3}) }, "left", []string{"a"}},
		{"disconnect leaves the rest", func() { _ = c.Close(websocket.StatusNormalClosure, "") }, "left", []string{"b"}},
	}
	for _, st := range steps {
		st.do()
		for _, g := range st.groups {
			ev := up.next(st.event)
			if string(ev.body) != `{"group":"`+g+`"}` || ev.header.Get("ce-type") != "azure.webpubsub.gp."+st.event || ev.header.Get("ce-userId") != "u" {
				t.Errorf("%s: %s %s %v", st.name, ev.header.Get("ce-type"), ev.body, ev.header.Get("ce-userId"))
			}
		}
	}
	// Events of one connection arrive in order: the last one is disconnected, after the left.
	if dis := up.next("disconnected"); dis.header.Get("ce-connectionId") != hello.ConnectionID {
		t.Errorf("disconnected for %q", dis.header.Get("ce-connectionId"))
	}
}

func TestKeepAliveSparesBlockedConnection(t *testing.T) {
	up := newUpstream(t)
	up.setRespond(func(w http.ResponseWriter, ev event) {
		if ev.name() == "slow" {
			time.Sleep(600 * time.Millisecond) // several keep-alive intervals
			_, _ = w.Write([]byte("done"))
		}
	})
	s := startEmulator(t, Config{KeepAliveInterval: 100 * time.Millisecond}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	c, _ := connectJSON(t, s, "chat", protoJSONName, tokenOpts{})
	write(t, c, map[string]any{"type": "event", "event": "slow", "dataType": "text", "data": "x", "ackId": 1})
	// The client reads (and so answers pings) while the emulator waits for the upstream.
	if m := read(t, c); m.Type != "message" || string(m.Data) != `"done"` {
		t.Errorf("reply = %+v", m)
	}
	if m := read(t, c); m.Type != "ack" || !m.Success {
		t.Errorf("ack = %+v, want success (the connection must survive the slow upstream)", m)
	}
}

// TestBroadcastIsolatesStuckClients: clients that stop reading (their sockets fill up and the
// writes to them block) do not hold up a broadcast to everyone else.
func TestBroadcastIsolatesStuckClients(t *testing.T) {
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "chat", AllowAnonymous: true})
	h := s.hub("chat")
	const readers, stuck, n = 8, 3, 200
	u := clientURL(s, "chat", nil)
	for range stuck {
		dial(t, u) // never reads
	}
	got := make(chan error, readers)
	for range readers {
		c := dial(t, u)
		go func() {
			for i := range n {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				_, b, err := c.Read(ctx)
				cancel()
				if err != nil {
					got <- fmt.Errorf("message %d: %w", i, err)
					return
				}
				if !strings.HasPrefix(string(b), strconv.Itoa(i)+":") {
					got <- fmt.Errorf("message %d = %.10q", i, b)
					return
				}
			}
			got <- nil
		}()
	}
	waitFor(t, "all connections", func() bool {
		h.mu.RLock()
		defer h.mu.RUnlock()
		return len(h.conns) == readers+stuck
	})
	payload := strings.Repeat("x", 64<<10) // 200 × 64 KiB: far beyond the stuck sockets' buffers
	for i := range n {
		h.sendToAll(outMessage{data: []byte(strconv.Itoa(i) + ":" + payload), dataType: dataText}, nil, nil)
	}
	for range readers {
		if err := <-got; err != nil {
			t.Error(err)
		}
	}
}

// TestRunJobsSurvivesBlockedJobs: jobs that block (writes to clients that stopped reading)
// do not keep the other jobs of a broadcast from running.
func TestRunJobsSurvivesBlockedJobs(t *testing.T) {
	for _, blocked := range []int{1, 2, 5} {
		t.Run(strconv.Itoa(blocked)+" blocked", func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			const n = 50
			done := make(chan int, n)
			runJobs(n, func(i int) {
				if i < blocked {
					<-release
					return
				}
				done <- i
			})
			seen := map[int]bool{}
			timeout := time.After(10 * time.Second)
			for len(seen) < n-blocked {
				select {
				case i := <-done:
					seen[i] = true
				case <-timeout:
					t.Fatalf("only %d of %d unblocked jobs ran", len(seen), n-blocked)
				}
			}
		})
	}
}

// TestReliableBufferOverflow: unacknowledged messages beyond the bound end the connection for
// good; recovery is refused with 1008.
func TestReliableBufferOverflow(t *testing.T) {
	s := startEmulator(t, Config{SendQueueMessages: 5})
	c, hello := connectJSON(t, s, "chat", protoReliableName, tokenOpts{})
	h := s.hub("chat")
	for i := range 5 { // the connected message has left the queue: 5 messages fit
		h.sendToConnection(hello.ConnectionID, outMessage{data: []byte(strconv.Itoa(i)), dataType: dataText})
		if m := read(t, c); m.SequenceID != uint64(i+1) {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	h.sendToConnection(hello.ConnectionID, outMessage{data: []byte("one too many"), dataType: dataText})
	waitFor(t, "the connection to end", func() bool { return !h.connectionExists(hello.ConnectionID) })
	r := dial(t, clientURL(s, "chat", url.Values{"awps_connection_id": {hello.ConnectionID}, "awps_reconnection_token": {hello.ReconnectionToken}}), protoReliableName)
	if _, _, err := r.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("recovery after overflow: %v, want close 1008", err)
	}
}
