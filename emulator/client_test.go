package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

func TestHandshakeAuth(t *testing.T) {
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "open", AllowAnonymous: true})
	tests := []struct {
		name   string
		hub    string
		token  func() string
		header http.Header
		want   int
	}{
		{"valid token", "chat", func() string { return token(t, s, "chat", tokenOpts{sub: "u1"}) }, nil, 101},
		{"token in Authorization header", "chat", func() string { return "" }, http.Header{"Authorization": {"Bearer " + token(t, s, "chat", tokenOpts{})}}, 101},
		{"ws audience", "chat", func() string {
			return token(t, s, "chat", tokenOpts{aud: "ws" + strings.TrimPrefix(s.URL(), "http") + "/client/hubs/chat"})
		}, nil, 101},
		{"hub name case-insensitive", "Chat", func() string { return token(t, s, "chat", tokenOpts{}) }, nil, 101},
		{"expired", "chat", func() string { return token(t, s, "chat", tokenOpts{exp: -time.Hour}) }, nil, 401},
		{"not yet valid", "chat", func() string { return token(t, s, "chat", tokenOpts{nbf: time.Hour}) }, nil, 401},
		{"forged", "chat", func() string { return token(t, s, "chat", tokenOpts{key: "another-key"}) }, nil, 401},
		{"wrong audience host", "chat", func() string { return token(t, s, "chat", tokenOpts{aud: "http://example.com/client/hubs/chat"}) }, nil, 401},
		{"wrong hub", "chat", func() string { return token(t, s, "other", tokenOpts{}) }, nil, 401},
		{"garbage", "chat", func() string { return "not-a-jwt" }, nil, 401},
		{"anonymous denied", "chat", func() string { return "" }, nil, 401},
		{"anonymous allowed", "open", func() string { return "" }, nil, 101},
		{"invalid hub name", "1bad", func() string { return "" }, nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			if tok := tt.token(); tok != "" {
				q.Set("access_token", tok)
			}
			got, body := dialStatus(t, clientURL(s, tt.hub, q), tt.header)
			if got != tt.want {
				t.Errorf("handshake status = %d (%s), want %d", got, body, tt.want)
			}
		})
	}
}

func TestHandshakeNotUpgrade(t *testing.T) {
	s := startEmulator(t, Config{})
	resp, err := http.Get(s.URL() + "/client/hubs/chat?access_token=" + token(t, s, "chat", tokenOpts{}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("GET without upgrade = %d, want 400", resp.StatusCode)
	}
}

func TestConnectEventAndLifecycle(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	up.setRespond(func(w http.ResponseWriter, ev event) {
		switch ev.name() {
		case "connect":
			w.Header().Set(wire.HeaderConnectionState, "state-1")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"userId":"answered","groups":["g1"],"roles":["webpubsub.sendToGroup.g1"],"subprotocol":"json.webpubsub.azure.v1"}`))
		case "echo":
			w.Header().Set(wire.HeaderConnectionState, "state-2")
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write(append([]byte("echo:"), ev.body...))
		}
	})
	tok := token(t, s, "chat", tokenOpts{sub: "u1", roles: []string{"r1"}})
	c := dial(t, clientURL(s, "chat", url.Values{"access_token": {tok}, "extra": {"x"}}), "json.webpubsub.azure.v1")
	if got := c.Subprotocol(); got != "json.webpubsub.azure.v1" {
		t.Fatalf("subprotocol = %q", got)
	}

	connect := up.next("connect")
	if connect.path != "/upstream/chat/connect" {
		t.Errorf("connect path = %q", connect.path)
	}
	connID := connect.header.Get(wire.HeaderConnectionID)
	if !wire.VerifySignature(connect.header.Get(wire.HeaderSignature), connID, []string{testKey}) {
		t.Errorf("connect signature %q does not verify", connect.header.Get(wire.HeaderSignature))
	}
	for h, want := range map[string]string{
		wire.HeaderType: wire.TypeConnect, wire.HeaderHub: "chat", wire.HeaderUserID: "u1",
		wire.HeaderAwpsVersion: "1.0", wire.HeaderSpecVersion: "1.0",
	} {
		if got := connect.header.Get(h); got != want {
			t.Errorf("connect header %s = %q, want %q", h, got, want)
		}
	}
	var body connectRequest
	if err := json.Unmarshal(connect.body, &body); err != nil {
		t.Fatalf("connect body: %v", err)
	}
	if !slices.Equal(body.Claims["sub"], []string{"u1"}) || !slices.Equal(body.Claims["role"], []string{"r1"}) {
		t.Errorf("connect claims = %v", body.Claims)
	}
	if !slices.Equal(body.Query["extra"], []string{"x"}) || !slices.Equal(body.Subprotocols, []string{"json.webpubsub.azure.v1"}) {
		t.Errorf("connect query/subprotocols = %v / %v", body.Query, body.Subprotocols)
	}
	if len(body.Headers["Sec-Websocket-Protocol"]) == 0 {
		t.Errorf("connect headers lack Sec-WebSocket-Protocol: %v", body.Headers)
	}

	m := read(t, c)
	if m.Type != "system" || m.Event != "connected" || m.UserID != "answered" || m.ConnectionID != connID || m.ReconnectionToken != "" {
		t.Fatalf("connected message = %+v", m)
	}
	connected := up.next("connected")
	if got := connected.header.Get(wire.HeaderConnectionState); got != "state-1" {
		t.Errorf("connected state = %q, want state-1", got)
	}
	if got := connected.header.Get(wire.HeaderUserID); got != "answered" {
		t.Errorf("connected user = %q", got)
	}
	if got := connected.header.Get(wire.HeaderSubprotocol); got != "json.webpubsub.azure.v1" {
		t.Errorf("connected subprotocol = %q", got)
	}
	if joined := up.next("joined"); string(joined.body) != `{"group":"g1"}` {
		t.Errorf("joined body = %s", joined.body)
	}

	// The connect answer's group and role are in effect.
	write(t, c, map[string]any{"type": "sendToGroup", "group": "g1", "dataType": "text", "data": "hi", "ackId": 1})
	for range 2 {
		m = read(t, c)
		switch m.Type {
		case "message":
			if m.From != "group" || m.Group != "g1" || m.FromUserID != "answered" || string(m.Data) != `"hi"` {
				t.Errorf("group message = %+v", m)
			}
		case "ack":
			if !m.Success || m.AckID != 1 {
				t.Errorf("ack = %+v", m)
			}
		}
	}

	// A user event: blocking, the reply goes back, the state is replaced.
	write(t, c, map[string]any{"type": "event", "event": "echo", "dataType": "text", "data": "ping", "ackId": 2})
	ev := up.next("echo")
	if got := ev.header.Get(wire.HeaderType); got != "azure.webpubsub.user.echo" {
		t.Errorf("event type = %q", got)
	}
	if got := ev.header.Get("Content-Type"); got != "text/plain" || string(ev.body) != "ping" {
		t.Errorf("event content = %q %q", got, ev.body)
	}
	if got := ev.header.Get(wire.HeaderConnectionState); got != "state-1" {
		t.Errorf("event state = %q", got)
	}
	m = read(t, c)
	if m.Type != "message" || m.From != "server" || m.DataType != "text" || string(m.Data) != `"echo:ping"` {
		t.Errorf("reply = %+v", m)
	}
	if m = read(t, c); m.Type != "ack" || !m.Success || m.AckID != 2 {
		t.Errorf("event ack = %+v", m)
	}

	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Logf("close: %v", err)
	}
	dis := up.next("disconnected")
	if got := dis.header.Get(wire.HeaderConnectionState); got != "state-2" {
		t.Errorf("disconnected state = %q, want state-2", got)
	}
	var reason struct{ Reason *string }
	if err := json.Unmarshal(dis.body, &reason); err != nil || reason.Reason == nil {
		t.Errorf("disconnected body = %s", dis.body)
	}
}

func TestConnectRejected(t *testing.T) {
	up := newUpstream(t)
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	down := newUpstream(t)
	down.srv.Close()
	noOrigin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})) // no WebHook-Allowed-Origin
	t.Cleanup(noOrigin.Close)
	s := startEmulator(t, Config{UpstreamTimeout: 300 * time.Millisecond},
		service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}},
		service.HubSettings{Hub: "down", EventHandlers: []service.EventHandler{down.handler()}},
		service.HubSettings{Hub: "noorigin", EventHandlers: []service.EventHandler{{URLTemplate: noOrigin.URL + "/{event}", SystemEvents: []string{"connect"}}}},
	)
	tests := []struct {
		name     string
		hub      string
		respond  func(w http.ResponseWriter, ev event)
		want     int
		wantBody string
	}{
		{"401 relayed", "chat", func(w http.ResponseWriter, ev event) { http.Error(w, "go away", 401) }, 401, "go away"},
		{"403 relayed", "chat", func(w http.ResponseWriter, ev event) { http.Error(w, "forbidden", 403) }, 403, "forbidden"},
		{"500 becomes 500", "chat", func(w http.ResponseWriter, ev event) { http.Error(w, "boom", 500) }, 500, ""},
		{"hanging upstream times out", "chat", func(w http.ResponseWriter, ev event) { <-hang }, 500, ""},
		{"invalid answer", "chat", func(w http.ResponseWriter, ev event) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"userId":`))
		}, 500, ""},
		{"unoffered subprotocol", "chat", func(w http.ResponseWriter, ev event) {
			_, _ = w.Write([]byte(`{"subprotocol":"other"}`))
		}, 500, ""},
		{"upstream down", "down", nil, 500, ""},
		{"abuse protection fails", "noorigin", nil, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up.setRespond(tt.respond)
			got, body := dialStatus(t, clientURL(s, tt.hub, url.Values{"access_token": {token(t, s, tt.hub, tokenOpts{})}}), nil)
			if got != tt.want || !strings.Contains(body, tt.wantBody) {
				t.Errorf("handshake = %d %q, want %d containing %q", got, body, tt.want, tt.wantBody)
			}
		})
	}
	// The emulator still serves: a good connect succeeds afterwards.
	up.setRespond(nil)
	if got, body := dialStatus(t, clientURL(s, "chat", url.Values{"access_token": {token(t, s, "chat", tokenOpts{})}}), nil); got != 101 {
		t.Errorf("handshake after failures = %d %s", got, body)
	}
}

func TestAbuseProtectionCached(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	for range 3 {
		c := dial(t, clientURL(s, "chat", url.Values{"access_token": {token(t, s, "chat", tokenOpts{})}}))
		up.next("connect")
		_ = c.Close(websocket.StatusNormalClosure, "")
		up.next("disconnected")
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.options != 1 {
		t.Errorf("OPTIONS requests = %d, want 1 (validated once per URL)", up.options)
	}
}

func TestPlainClient(t *testing.T) {
	up := newUpstream(t)
	s := startEmulator(t, Config{},
		service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}},
		service.HubSettings{Hub: "silent", EventHandlers: []service.EventHandler{{URLTemplate: up.srv.URL + "/{event}", SystemEvents: []string{"connected"}}}},
	)
	up.setRespond(func(w http.ResponseWriter, ev event) {
		if ev.name() == "message" {
			w.Header().Set("Content-Type", ev.header.Get("Content-Type"))
			_, _ = w.Write(ev.body)
		}
	})
	c := dial(t, clientURL(s, "chat", url.Values{"access_token": {token(t, s, "chat", tokenOpts{})}}))
	for _, tt := range []struct {
		typ  websocket.MessageType
		data string
		ct   string
	}{{websocket.MessageText, "hello", "text/plain"}, {websocket.MessageBinary, "\x00\x01", "application/octet-stream"}} {
		if err := c.Write(t.Context(), tt.typ, []byte(tt.data)); err != nil {
			t.Fatal(err)
		}
		ev := up.next("message")
		if got := ev.header.Get("Content-Type"); got != tt.ct || string(ev.body) != tt.data {
			t.Errorf("message event = %q %q, want %q %q", got, ev.body, tt.ct, tt.data)
		}
		typ, b, err := c.Read(t.Context())
		if err != nil || typ != tt.typ || string(b) != tt.data {
			t.Errorf("reply = %v %q %v, want %v %q", typ, b, err, tt.typ, tt.data)
		}
	}

	// A hub with no handler for message drops a plain client that sends.
	c2 := dial(t, clientURL(s, "silent", url.Values{"access_token": {token(t, s, "silent", tokenOpts{})}}))
	if err := c2.Write(t.Context(), websocket.MessageText, []byte("x")); err != nil {
		t.Fatal(err)
	}
	_, _, err := c2.Read(t.Context())
	if got := websocket.CloseStatus(err); got != websocket.StatusNormalClosure {
		t.Errorf("close status = %v (%v), want 1000", got, err)
	}
}

func TestPlainSendToGroupMode(t *testing.T) {
	s := startEmulator(t, Config{})
	recv, _ := connectJSON(t, s, "chat", "json.webpubsub.azure.v1", tokenOpts{groups: []string{"room"}})
	tests := []struct {
		name    string
		roles   []string
		deliver bool
	}{
		{"no role", nil, false},
		{"group role", []string{"webpubsub.sendToGroup.room"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"access_token": {token(t, s, "chat", tokenOpts{sub: "p", roles: tt.roles})}, "webpubsub_mode": {"sendToGroup"}, "group": {"room"}}
			p := dial(t, clientURL(s, "chat", q))
			if err := p.Write(t.Context(), websocket.MessageBinary, []byte{1, 2}); err != nil {
				t.Fatal(err)
			}
			if err := p.Write(t.Context(), websocket.MessageText, []byte("marker")); err != nil {
				t.Fatal(err)
			}
			// The close handshake completes after the server handled the frames before it;
			// then a marker sent through the REST side makes "nothing arrived" observable.
			if err := p.Close(websocket.StatusNormalClosure, ""); err != nil {
				t.Fatal(err)
			}
			s.hub("chat").sendToGroup("room", outMessage{data: []byte("end"), dataType: dataText}, nil, nil)
			var got []string
			for {
				m := read(t, recv)
				got = append(got, m.DataType+":"+string(m.Data))
				if string(m.Data) == `"end"` && m.FromUserID == "" {
					break
				}
			}
			want := []string{`text:"end"`}
			if tt.deliver {
				want = []string{`binary:"` + base64.StdEncoding.EncodeToString([]byte{1, 2}) + `"`, `text:"marker"`, `text:"end"`}
			}
			if !slices.Equal(got, want) {
				t.Errorf("received %q, want %q", got, want)
			}
		})
	}
}

func TestEventHandlerOrderAndSignatures(t *testing.T) {
	first, second := newUpstream(t), newUpstream(t)
	s := startEmulator(t, Config{AccessKey: "primary-key", SecondaryAccessKey: "secondary-key"}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{
		{URLTemplate: first.srv.URL + "/first/{hub}/{event}", UserEventPattern: "a, b", SystemEvents: []string{"connected"}},
		{URLTemplate: second.srv.URL + "/second/{event}", UserEventPattern: "*", SystemEvents: []string{"connected", "disconnected"}},
	}})
	c, hello := connectJSON(t, s, "chat", protoJSONName, tokenOpts{key: "secondary-key"})
	tests := []struct {
		event    string
		up       *upstream
		wantPath string
	}{
		{"connected", first, "/first/chat/connected"}, // both want it: the first wins
		{"a", first, "/first/chat/a"},
		{"b", first, "/first/chat/b"},
		{"c d", second, "/second/c%20d"}, // not in the first's list; escaped in the path
	}
	for i, tt := range tests {
		if tt.event != "connected" {
			write(t, c, map[string]any{"type": "event", "event": tt.event, "data": i, "ackId": i})
		}
		ev := tt.up.next(tt.event)
		if got := ev.path; got != strings.ReplaceAll(tt.wantPath, "%20", " ") {
			t.Errorf("event %q went to %q, want %q", tt.event, got, tt.wantPath)
		}
		sigs := wire.ParseSignature(ev.header.Get(wire.HeaderSignature))
		if len(sigs) != 2 || sigs[0] != wire.SignatureValue("primary-key", hello.ConnectionID) || sigs[1] != wire.SignatureValue("secondary-key", hello.ConnectionID) {
			t.Errorf("event %q signature = %v, want one per key", tt.event, sigs)
		}
		if tt.event != "connected" {
			if m := read(t, c); m.Type != "ack" || !m.Success {
				t.Errorf("ack for %q = %+v", tt.event, m)
			}
		}
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	second.next("disconnected") // only the second wants it
}

func TestHandshakePaths(t *testing.T) {
	s := startEmulator(t, Config{}, service.HubSettings{Hub: "open", AllowAnonymous: true})
	base := "ws" + strings.TrimPrefix(s.URL(), "http")
	tests := []struct {
		name   string
		url    string
		protos []string
		want   int
		wantSP string
	}{
		{"query hub form", base + "/client/?hub=open", nil, 101, ""},
		{"query hub form without hub", base + "/client/", nil, 400, ""},
		{"trailing slash", base + "/client/hubs/open/", nil, 101, ""},
		{"single PubSub subprotocol chosen", base + "/client/hubs/open", []string{protoReliableName}, 101, protoReliableName},
		{"first PubSub subprotocol of several", base + "/client/hubs/open", []string{"custom", protoJSONName, protoReliableName}, 101, protoJSONName},
		{"unknown subprotocol only: plain client, none echoed", base + "/client/hubs/open", []string{"custom"}, 101, ""},
		{"protobuf refused", base + "/client/hubs/open", []string{"protobuf.webpubsub.azure.v1"}, 400, ""},
		{"sendToGroup mode without group", base + "/client/hubs/open?webpubsub_mode=sendToGroup", nil, 400, ""},
		{"sendToGroup mode with two groups", base + "/client/hubs/open?webpubsub_mode=sendToGroup&group=a&group=b", nil, 400, ""},
		{"unknown mode", base + "/client/hubs/open?webpubsub_mode=other", nil, 400, ""},
		{"MQTT not emulated", base + "/clients/mqtt/hubs/open", []string{"mqtt"}, 501, ""},
		{"unknown path", base + "/elsewhere", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, resp, err := websocket.Dial(t.Context(), tt.url, &websocket.DialOptions{Subprotocols: tt.protos})
			got := 101
			if err != nil {
				if resp == nil {
					t.Fatalf("dial: %v", err)
				}
				got = resp.StatusCode
			} else {
				defer c.CloseNow()
				if c.Subprotocol() != tt.wantSP {
					t.Errorf("subprotocol = %q, want %q", c.Subprotocol(), tt.wantSP)
				}
			}
			if got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}
