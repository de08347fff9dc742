package middleware

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/nodetest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// The interop suite sends the same upstream requests (built with handlertest) to our
// middleware on a loopback Echo server and to @azure/web-pubsub-express 1.1.0 on express
// (interop/handler-express.mjs), both with the same funcs, and compares status, Content-Type,
// body and decoded ce-connectionState. Where we differ on purpose the row names the
// difference, listed in docs/differences.md, and asserts both answers.

// startExpress runs interop/handler-express.mjs and returns its base URL.
func startExpress(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd, stdout, stderr := nodetest.Command(ctx, t, "handler-express.mjs",
		"HUB=chat", "BARE_HUB=bare", "ALLOWED_ENDPOINT="+handlertest.Endpoint, "PORT=0")
	cmd.Stdout = nil
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // closing it stops the app
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cancel()
			<-done
		}
		cancel()
		if t.Failed() {
			t.Logf("express stderr:\n%s", stderr)
		}
	})
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "PORT="); ok {
				port <- p
			}
			stdout.WriteString(sc.Text() + "\n")
		}
	}()
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p
	case <-time.After(30 * time.Second):
		t.Fatalf("express app did not print its port; stderr:\n%s", stderr)
	}
	return ""
}

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

// reply is one server's answer, normalised for comparison.
type reply struct {
	Status      int
	ContentType string
	Body        string
	JSON        any // the body decoded when it is JSON
	State       any // ce-connectionState decoded (base64 of a JSON object); nil when absent
	StateRaw    string
	AllowOrigin []string
}

func (r reply) String() string {
	return fmt.Sprintf("%d %q %q state=%v allow=%q", r.Status, r.ContentType, r.Body, r.State, r.AllowOrigin)
}

func send(t *testing.T, build func() *http.Request, base string) reply {
	t.Helper()
	req, err := handlertest.ForClient(build(), base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultTransport.RoundTrip(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(body),
		AllowOrigin: resp.Header.Values(wire.HeaderAllowedOrigin)}
	if mt, _, _ := mime.ParseMediaType(r.ContentType); mt == wire.ContentTypeJSON {
		if err := json.Unmarshal(body, &r.JSON); err != nil {
			r.JSON = nil // compared as bytes; the rows that send malformed JSON expect this
		}
	}
	if s := resp.Header.Get(wire.HeaderConnectionState); s != "" {
		r.StateRaw = s
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			err = json.Unmarshal(b, &r.State)
		}
		if err != nil {
			t.Errorf("%s answered a ce-connectionState that is not base64 JSON: %q: %v", base, s, err)
		}
	}
	return r
}

// same reports whether two answers agree on status, Content-Type, body (as JSON when JSON)
// and decoded state.
func same(a, b reply) bool {
	if a.Status != b.Status || a.ContentType != b.ContentType || !reflect.DeepEqual(a.State, b.State) ||
		!reflect.DeepEqual(a.AllowOrigin, b.AllowOrigin) {
		return false
	}
	if a.JSON != nil || b.JSON != nil {
		return reflect.DeepEqual(a.JSON, b.JSON)
	}
	return a.Body == b.Body
}

// want is the expected answer of one side for a row that differs on purpose.
type want struct {
	status      int
	body        string // substring; "" = not checked
	contentType string // exact; "" = not checked, noContentType = must be absent
}

// noContentType in want.contentType requires an answer without Content-Type.
const noContentType = "-"

func (w want) check(t *testing.T, side string, r reply) {
	t.Helper()
	ct := w.contentType
	if ct == noContentType {
		ct = ""
	}
	if r.Status != w.status || !strings.Contains(r.Body, w.body) || (w.contentType != "" && r.ContentType != ct) {
		t.Errorf("%s answered %v, want status %d, body containing %q, Content-Type %q", side, r, w.status, w.body, w.contentType)
	}
}

type interopCase struct {
	name  string
	build func() *http.Request
	seen  bool // compare the notifications recorded by both sides
	// diff names the deliberate difference (a heading in docs/differences.md); js and ours
	// are then the answers each side must give.
	diff     string
	js, ours want
}

func opts(f func(o *handlertest.Options)) *handlertest.Options {
	o := &handlertest.Options{}
	f(o)
	return o
}

func interopCases() []interopCase {
	mqtt := &handlertest.MQTT{PhysicalConnectionID: "phys-9", SessionID: "sess-9"}
	state := handlertest.State(map[string]any{"user": "bob", "n": 2, "nested": map[string]any{"a": []any{1, "x"}}})
	connectBody := &handlertest.ConnectBody{
		Claims:             map[string][]string{"sub": {"alice"}, "aud": {"http://127.0.0.1:7071/client/hubs/chat"}, "role": {"a", "b"}},
		Query:              map[string][]string{"access_token": {"secret"}, "room": {"1", "2"}},
		Headers:            map[string][]string{"Host": {"127.0.0.1:7071"}, "Upgrade": {"websocket"}},
		Subprotocols:       []string{wire.SubprotocolJSON, wire.SubprotocolJSONReliable},
		ClientCertificates: []handler.ClientCertificate{{Thumbprint: "ABC", Content: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}},
	}
	text, bin := wire.ContentTypeTextUTF8, wire.ContentTypeBinary
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h[kv[i]] = []string{kv[i+1]}
		}
		return h
	}
	return []interopCase{
		// Connect.
		{name: "connect with everything decoded into state", build: func() *http.Request {
			return handlertest.Connect("chat", connectBody, opts(func(o *handlertest.Options) { o.UserID = "alice" }))
		}},
		{name: "connect anonymous, no subprotocol", build: func() *http.Request { return handlertest.Connect("chat", nil, nil) }},
		{name: "connect with user from query", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"user": {"q-user"}}}, nil)
		}},
		{name: "connect with empty success", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"empty": {"1"}}}, nil)
		}},
		{name: "connect MQTT", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{
				Subprotocols: []string{"mqtt"},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 5, Username: "u", Password: []byte("pass"),
					UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}},
			}, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect MQTT 3.1.1 refused 401", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"401"}},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 4}}, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect MQTT 5 refused 400", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"400"}},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 5}}, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect MQTT 5 refused 500", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"500"}},
				MQTT: &handler.MQTTConnectProperties{ProtocolVersion: 5}}, &handlertest.Options{MQTT: mqtt})
		}},
		// Our failures carry a Content-Type; JS's res.fail sets none.
		{name: "connect refused 401", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"401"}}}, nil)
		}, js: want{401, "refused with 401", noContentType}, ours: want{401, "refused with 401", text}},
		{name: "connect refused 400", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"400"}}}, nil)
		}, js: want{400, "refused with 400", noContentType}, ours: want{400, "refused with 400", text}},
		{name: "connect refused 500", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Connect("chat", &handlertest.ConnectBody{Query: map[string][]string{"fail": {"500"}}}, nil)
		}, js: want{500, "refused with 500", noContentType}, ours: want{500, "refused with 500", text}},
		{name: "connect to a hub without funcs", build: func() *http.Request { return handlertest.Connect("bare", nil, nil) }},
		{name: "MQTT connect to a hub without funcs", build: func() *http.Request {
			return handlertest.Connect("bare", nil, &handlertest.Options{MQTT: mqtt})
		}},
		{name: "connect with a body that is not JSON", diff: "Malformed JSON bodies do not crash the handler", build: func() *http.Request {
			return handlertest.Event("chat", "connect", wire.ContentTypeJSON, []byte("{not json"),
				opts(func(o *handlertest.Options) { o.Header = hdr("Ce-Type", wire.TypeConnect) }))
		}, js: want{500, "", ""}, ours: want{400, "invalid event body", text}},

		// User events: every body type, state, replies.
		{name: "message text with state", build: func() *http.Request {
			return handlertest.Message("chat", "hello", &handlertest.Options{State: state})
		}},
		{name: "message without state", build: func() *http.Request { return handlertest.Message("chat", "hello", nil) }},
		{name: "message with charset parameter", build: func() *http.Request {
			return handlertest.Event("chat", "message", "text/plain; charset=utf-8", []byte("ü"), &handlertest.Options{State: state})
		}},
		{name: "echo text", build: func() *http.Request { return handlertest.Text("chat", "echo", "some text", nil) }},
		{name: "echo JSON", build: func() *http.Request {
			return handlertest.JSON("chat", "echo", map[string]any{"a": []int{1, 2}, "b": "c"}, nil)
		}},
		{name: "echo JSON scalar", build: func() *http.Request { return handlertest.JSON("chat", "echo", "just a string", nil) }},
		{name: "echo binary", build: func() *http.Request {
			return handlertest.Binary("chat", "echo", []byte{0, 1, 2, 0xfe, 0xff}, nil)
		}},
		{name: "echo empty binary", build: func() *http.Request { return handlertest.Binary("chat", "echo", []byte{}, nil) }},
		{name: "state set from text", build: func() *http.Request {
			return handlertest.Text("chat", "state", "t1", &handlertest.Options{State: state})
		}},
		{name: "state set from JSON", build: func() *http.Request {
			return handlertest.JSON("chat", "state", map[string]any{"deep": true}, &handlertest.Options{State: state})
		}},
		{name: "state set without incoming state", build: func() *http.Request { return handlertest.Text("chat", "state", "t2", nil) }},
		{name: "state cleared key by key", diff: "No-content replies are 204", build: func() *http.Request {
			return handlertest.Text("chat", "clear", "", &handlertest.Options{State: state})
		}, js: want{200, "", bin}, ours: want{204, "", ""}},
		{name: "unparseable state reads as empty", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{State: "%%%not base64"})
		}},
		{name: "state that is not an object reads as empty", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{State: base64.StdEncoding.EncodeToString([]byte(`[1,2]`))})
		}},
		// By default (StateFormatJS) a .NET-written state reads as JS reads it: the values
		// are the base64 strings.
		{name: "state written by the .NET SDK", build: func() *http.Request {
			net := base64.StdEncoding.EncodeToString([]byte(`{"user":"` + base64.StdEncoding.EncodeToString([]byte(`"carol"`)) + `"}`))
			return handlertest.Message("chat", "hi", &handlertest.Options{State: net})
		}},
		{name: "context of a user event", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{UserID: "u-1", ConnectionID: "c-77", State: state, Subprotocol: wire.SubprotocolJSON})
		}},
		{name: "context of an MQTT user event", build: func() *http.Request {
			return handlertest.Text("chat", "whoami", "", &handlertest.Options{UserID: "u-2", MQTT: mqtt})
		}},
		{name: "fallback for an unregistered event", build: func() *http.Request { return handlertest.Binary("chat", "other", []byte("x"), nil) }},
		{name: "fallback with JSON body", build: func() *http.Request { return handlertest.JSON("chat", "other", 1, nil) }},
		{name: "user event fails 400", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Text("chat", "fail400", "", nil)
		}, js: want{400, "failed fail400", noContentType}, ours: want{400, "failed fail400", text}},
		{name: "user event fails 401", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Text("chat", "fail401", "", nil)
		}, js: want{401, "failed fail401", noContentType}, ours: want{401, "failed fail401", text}},
		{name: "user event fails 500", diff: "Error answers carry a Content-Type", build: func() *http.Request {
			return handlertest.Text("chat", "fail500", "", nil)
		}, js: want{500, "failed fail500", noContentType}, ours: want{500, "failed fail500", text}},
		{name: "user event with nothing to say", diff: "No-content replies are 204", build: func() *http.Request {
			return handlertest.Text("chat", "nothing", "", nil)
		}, js: want{200, "", bin}, ours: want{204, "", ""}},
		{name: "user event to a hub without funcs", build: func() *http.Request { return handlertest.Message("bare", "x", nil) }},
		{name: "user event with an unsupported content type", diff: "Unsupported content types are a 415", build: func() *http.Request {
			return handlertest.Event("chat", "echo", "application/xml", []byte("<a/>"), nil)
		}, js: want{404, "Cannot POST", ""}, ours: want{415, "unsupported content type", text}},
		{name: "user event without a content type", diff: "Unsupported content types are a 415", build: func() *http.Request {
			return handlertest.Event("chat", "echo", "", []byte("x"), nil)
		}, js: want{404, "Cannot POST", ""}, ours: want{415, "unsupported content type", text}},
		{name: "MQTT user event with any content type", diff: "MQTT user events accept any content type", build: func() *http.Request {
			return handlertest.Event("chat", "other", "application/x-custom", []byte("raw"), &handlertest.Options{MQTT: mqtt})
		}, js: want{404, "Cannot POST", ""}, ours: want{200, "fallback:other:binary", text}},
		{name: "typed JSON event", build: func() *http.Request {
			return handlertest.JSON("chat", "typed", map[string]any{"x": 1.5}, nil)
		}},
		{name: "typed JSON event with a body that is not JSON", diff: "Malformed JSON bodies do not crash the handler", build: func() *http.Request {
			return handlertest.Event("chat", "typed", wire.ContentTypeJSON, []byte("{oops"), nil)
		}, js: want{500, "", ""}, ours: want{400, "invalid JSON payload", text}},
		{name: "untyped JSON event with a body that is not JSON", diff: "Malformed JSON bodies do not crash the handler", build: func() *http.Request {
			return handlertest.Event("chat", "echo", wire.ContentTypeJSON, []byte("{oops"), nil)
		}, js: want{500, "", ""}, ours: want{200, "{oops", wire.ContentTypeJSONUTF8}},

		// Notifications.
		{name: "connected", seen: true, build: func() *http.Request {
			return handlertest.Connected("chat", &handlertest.Options{UserID: "u", State: state})
		}},
		{name: "disconnected with reason", seen: true, build: func() *http.Request {
			return handlertest.Disconnected("chat", &handlertest.DisconnectedBody{Reason: "gone"}, nil)
		}},
		{name: "disconnected normal close", seen: true, build: func() *http.Request {
			return handlertest.Disconnected("chat", nil, &handlertest.Options{State: state})
		}},
		{name: "MQTT disconnected", seen: true, build: func() *http.Request {
			return handlertest.Disconnected("chat", &handlertest.DisconnectedBody{Reason: "bye", MQTT: &handler.MQTTDisconnectedProperties{
				InitiatedByClient: true, DisconnectPacket: &handler.MQTTDisconnectPacket{Code: 0, UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}}}},
				&handlertest.Options{MQTT: mqtt})
		}},
		{name: "group joined", seen: true, build: func() *http.Request { return handlertest.GroupJoined("chat", "lobby", nil) }},
		{name: "group left", seen: true, build: func() *http.Request { return handlertest.GroupLeft("chat", "lobby", nil) }},
		{name: "notification func fails", diff: "Failed notifications are a 500", build: func() *http.Request {
			return handlertest.GroupJoined("chat", "fail", nil)
		}, js: want{200, "", ""}, ours: want{500, "Internal Server Error", text}},
		{name: "notifications to a hub without funcs", build: func() *http.Request { return handlertest.Connected("bare", nil) }},

		// Abuse protection.
		{name: "handshake from the allowed origin", build: func() *http.Request { return handlertest.Validate("chat", "") }},
		{name: "handshake from another origin", diff: "Handshakes from unknown origins are refused", build: func() *http.Request {
			return handlertest.Validate("chat", "evil.example.com")
		}, js: want{200, "", ""}, ours: want{400, "not among the allowed origins", text}},
		{name: "handshake without origin", build: func() *http.Request {
			r := handlertest.Validate("chat", "")
			r.Header.Del(wire.HeaderRequestOrigin)
			return r
		}, diff: "Error answers carry a Content-Type", js: want{400, "", noContentType}, ours: want{400, "WebHook-Request-Origin", text}},

		// Security and routing.
		{name: "wrong signature", diff: "Signatures are checked", build: func() *http.Request {
			return handlertest.Message("chat", "x", &handlertest.Options{Keys: []string{"not-the-key"}})
		}, js: want{200, ":x", text}, ours: want{401, "signature", text}},
		{name: "missing signature", diff: "Signatures are checked", build: func() *http.Request {
			return handlertest.Message("chat", "x", &handlertest.Options{Unsigned: true})
		}, js: want{200, ":x", text}, ours: want{401, "signature", text}},
		{name: "signature by a second key", diff: "Signatures are checked", build: func() *http.Request {
			return handlertest.Message("chat", "x", &handlertest.Options{Keys: []string{"old-key", handlertest.AccessKey}})
		}, js: want{200, ":x", text}, ours: want{200, ":x", text}},
		{name: "body over the limit", diff: "Bodies are limited", build: func() *http.Request {
			return handlertest.Binary("chat", "other", bytes.Repeat([]byte("x"), handler.DefaultMaxBodyBytes+1), nil)
		}, js: want{200, "fallback:other:binary", text}, ours: want{413, "Request Entity Too Large", text}},
		{name: "ce-hub names another hub than the path", diff: "Calls for an unknown hub are a 404 with a reason", build: func() *http.Request {
			return handlertest.Message("bare", "x", &handlertest.Options{Target: "/api/webpubsub/hubs/chat/message"})
		}, js: want{404, "Cannot POST", ""}, ours: want{404, `but this path serves hub`, ""}},
		{name: "unknown hub", diff: "Calls for an unknown hub are a 404 with a reason", build: func() *http.Request {
			return handlertest.Message("nohub", "x", nil)
		}, js: want{404, "Cannot POST", ""}, ours: want{404, `no hub named`, ""}},
		{name: "unknown event type", diff: "Unknown event types are a 400", build: func() *http.Request {
			return handlertest.Event("chat", "message", wire.ContentTypeText, []byte("x"),
				opts(func(o *handlertest.Options) { o.Header = hdr("Ce-Type", "azure.webpubsub.other.message") }))
		}, js: want{404, "Cannot POST", ""}, ours: want{400, "unknown event type", text}},
		{name: "no ce-awpsversion but an origin", diff: "Either marker header makes a Web PubSub call", build: func() *http.Request {
			return handlertest.Message("chat", "x", opts(func(o *handlertest.Options) { o.Header = hdr("Ce-Awpsversion", "") }))
		}, js: want{404, "Cannot POST", ""}, ours: want{200, ":x", text}},
		{name: "no WebHook-Request-Origin on an event", diff: "Either marker header makes a Web PubSub call", build: func() *http.Request {
			return handlertest.Message("chat", "x", opts(func(o *handlertest.Options) { o.Header = hdr("Webhook-Request-Origin", "") }))
		}, js: want{404, "Cannot POST", ""}, ours: want{200, ":x", text}},
	}
}

func TestInteropExpress(t *testing.T) {
	jsBase := startExpress(t)
	rec := &recorder{}
	e := echo.New()
	e.Use(WebPubSub(interopHubs(t, rec)...))
	srv := httptest.NewServer(e)
	defer srv.Close()

	docs, err := os.ReadFile("../docs/differences.md")
	if err != nil {
		t.Fatalf("read docs/differences.md: %v", err)
	}
	for _, tc := range interopCases() {
		t.Run(tc.name, func(t *testing.T) {
			js := send(t, tc.build, jsBase)
			ours := send(t, tc.build, srv.URL)
			if tc.diff == "" {
				if !same(js, ours) {
					t.Errorf("answers differ:\n js:   %v\n ours: %v", js, ours)
				}
			} else {
				if !strings.Contains(string(docs), "## "+tc.diff) {
					t.Errorf("docs/differences.md has no section %q", "## "+tc.diff)
				}
				tc.js.check(t, "express", js)
				tc.ours.check(t, "ours", ours)
			}
			if !tc.seen {
				rec.take()
				return
			}
			// Notifications: the JS app answered before running its func; /_seen returns
			// what it recorded.
			var jsSeen []notification
			resp, err := http.Get(jsBase + "/_seen")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&jsSeen); err != nil {
				t.Fatal(err)
			}
			goSeen := rec.take()
			if !reflect.DeepEqual(normalize(t, jsSeen), normalize(t, goSeen)) || len(goSeen) != 1 {
				t.Errorf("notifications differ:\n js:   %+v\n ours: %+v", jsSeen, goSeen)
			}
		})
	}
}

// normalize round-trips v through JSON so Go values and decoded JS values compare alike.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
