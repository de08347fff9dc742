package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/service"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"alice", ""},
		{"A_b-9", ""},
		{strings.Repeat("x", 32), ""},
		{"", "missing"},
		{strings.Repeat("x", 33), "is not 1-32"},
		{"a b", "is not 1-32"},
		{"é", "is not 1-32"},
		{"a&b", "is not 1-32"},
	}
	for _, tt := range tests {
		err := checkName("name", tt.in)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("checkName(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr bool
	}{
		{"defaults", nil, config{Hub: "chat", Port: 8080, Banned: []string{"mallory"}}, false},
		{"azure", map[string]string{"AZURE_WEBPUBSUB_CONNECTION_STRING": "Endpoint=https://x;AccessKey=k;Version=1.0;", "AZURE_WEBPUBSUB_HUB": "room", "PORT": "9000", "HOST": "0.0.0.0"},
			config{Hub: "room", ConnectionString: "Endpoint=https://x;AccessKey=k;Version=1.0;", Host: "0.0.0.0", Port: 9000, Banned: []string{"mallory"}}, false},
		{"banned list", map[string]string{"CHAT_BANNED": " Eve, ,trudy"}, config{Hub: "chat", Port: 8080, Banned: []string{"eve", "trudy"}}, false},
		{"nobody banned", map[string]string{"CHAT_BANNED": ""}, config{Hub: "chat", Port: 8080}, false},
		{"port zero", map[string]string{"PORT": "0"}, config{Hub: "chat", Port: 0, Banned: []string{"mallory"}}, false},
		{"bad port", map[string]string{"PORT": "http"}, config{}, true},
		{"port too large", map[string]string{"PORT": "70000"}, config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configFromEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if (err != nil) != tt.wantErr {
				t.Fatalf("configFromEnv() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got.Hub != tt.want.Hub || got.ConnectionString != tt.want.ConnectionString || got.Host != tt.want.Host ||
				got.Port != tt.want.Port || strings.Join(got.Banned, ",") != strings.Join(tt.want.Banned, ",") {
				t.Errorf("configFromEnv() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRejections(func() time.Time { return now })

	r.put("a", "banned")
	r.put("", "ignored")
	r.put(strings.Repeat("x", maxAttemptIDLen+1), "ignored")
	if got, ok := r.take("a"); !ok || got != "banned" {
		t.Errorf("take(a) = %q, %v, want banned, true", got, ok)
	}
	if _, ok := r.take("a"); ok {
		t.Error("take(a) twice succeeded, want the reason forgotten after the first")
	}
	if _, ok := r.take(""); ok {
		t.Error("take(\"\") succeeded for an empty id")
	}

	r.put("old", "expired")
	now = now.Add(rejectionTTL + time.Second)
	if _, ok := r.take("old"); ok {
		t.Error("take(old) succeeded after the TTL")
	}

	for i := range maxRejections + 10 {
		r.put(string(rune('a'+i%26))+strings.Repeat("z", i/26), "x")
	}
	r.mu.Lock()
	n, order := len(r.byID), len(r.order)
	r.mu.Unlock()
	if n != maxRejections || order != maxRejections {
		t.Errorf("after %d puts the store holds %d (order %d), want the bound %d", maxRejections+10, n, order, maxRejections)
	}
	if _, ok := r.take("a"); ok {
		t.Error("the oldest id survived eviction")
	}
}

// TestConnect checks the connect func alone, with requests built by handlertest.
func TestConnect(t *testing.T) {
	c := &chat{banned: []string{"mallory"}, rejections: newRejections(nil), now: time.Now}
	hub, err := c.newHub("chat", handlertest.ConnectionString)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		user       string
		query      url.Values
		wantStatus int
		wantBody   string // substring
	}{
		{"accepted", "alice", url.Values{"room": {"dev"}}, http.StatusOK, `"groups":["dev"]`},
		{"default room", "bob", nil, http.StatusOK, `"groups":["lobby"]`},
		{"banned", "mallory", url.Values{"attempt": {"t1"}}, http.StatusUnauthorized, `"mallory" is banned`},
		{"banned any case", "Mallory", nil, http.StatusUnauthorized, "banned"},
		{"no user", "", nil, http.StatusUnauthorized, "names no user"},
		{"bad room", "alice", url.Values{"room": {"a/b"}}, http.StatusBadRequest, "room"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &handlertest.ConnectBody{Query: tt.query, Subprotocols: []string{"json.webpubsub.azure.v1"}}
			rec := httptest.NewRecorder()
			hub.ServeHTTP(rec, handlertest.Connect("chat", body, &handlertest.Options{UserID: tt.user}))
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Fatalf("connect(%q, %v) = %d %s, want %d containing %s", tt.user, tt.query, rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			if rec.Code == http.StatusOK {
				state, err := handler.DecodeState(rec.Header().Get("ce-connectionState"))
				if err != nil || string(state[stateCount]) != "0" || len(state[stateRoom]) == 0 {
					t.Errorf("connection state = %v (%v), want room and count 0", state, err)
				}
			}
		})
	}
	if got, ok := c.rejections.take("t1"); !ok || !strings.Contains(got, "banned") {
		t.Errorf("rejection of attempt t1 = %q, %v, want the ban reason", got, ok)
	}
}

// startApp runs the whole app on free ports with the embedded emulator.
func startApp(t *testing.T) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := newServer(ctx, config{Hub: "chat", Port: 0, Banned: []string{"mallory"}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s
}

// negotiate asks the app for a client access URL.
func negotiate(t *testing.T, s *server, name, room, attempt string) (string, int) {
	t.Helper()
	q := url.Values{"name": {name}, "room": {room}, "attempt": {attempt}}
	res, err := http.Get(s.url + "negotiate?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ URL, Error string }
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&body); err != nil {
		t.Fatalf("negotiate answer: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		return body.Error, res.StatusCode
	}
	return body.URL, res.StatusCode
}

// member is a Go client in the chat, collecting what it receives.
type member struct {
	*client.Client
	group  chan map[string]any
	server chan map[string]any
}

func join(t *testing.T, s *server, name, room string) *member {
	t.Helper()
	u, status := negotiate(t, s, name, room, "")
	if status != http.StatusOK {
		t.Fatalf("negotiate(%s) = %d %s", name, status, u)
	}
	c, err := client.New(u, &client.Options{Protocol: client.ProtocolJSON, DisableAutoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	m := &member{Client: c, group: make(chan map[string]any, 100), server: make(chan map[string]any, 100)}
	c.OnGroupMessage(func(_ context.Context, ev *client.GroupMessageEvent) {
		var v map[string]any
		if err := ev.Data.Decode(&v); err == nil {
			m.group <- v
		}
	})
	c.OnServerMessage(func(_ context.Context, ev *client.ServerMessageEvent) {
		var v map[string]any
		if err := ev.Data.Decode(&v); err == nil {
			m.server <- v
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("%s: Start: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return m
}

// wantUsers checks the "users" list of a roster or joined message.
func wantUsers(t *testing.T, msg map[string]any, want ...string) {
	t.Helper()
	raw, _ := msg["users"].([]any)
	got := make([]string, 0, len(raw))
	for _, u := range raw {
		s, _ := u.(string)
		got = append(got, s)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("users = %q, want %q (message %v)", got, want, msg)
	}
}

// next waits for a message on ch matching all fields of want (comparable values only).
func next(t *testing.T, who string, ch chan map[string]any, want map[string]any) map[string]any {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case got := <-ch:
			match := true
			for k, v := range want {
				if got[k] != v {
					match = false
				}
			}
			if match {
				return got
			}
		case <-timeout:
			t.Fatalf("%s: no message matching %v", who, want)
			return nil
		}
	}
}

// TestChat runs the app with the embedded emulator and two Go clients speaking the page's
// protocol, plus a banned one.
func TestChat(t *testing.T) {
	s := startApp(t)
	ctx := t.Context()

	alice := join(t, s, "alice", "dev")
	next(t, "alice", alice.group, map[string]any{"kind": "system", "text": "alice joined", "user": "alice", "presence": "joined"})
	wantUsers(t, next(t, "alice", alice.server, map[string]any{"kind": "roster", "room": "dev"}), "alice")
	bob := join(t, s, "bob", "dev")
	next(t, "alice", alice.group, map[string]any{"kind": "system", "text": "bob joined", "presence": "joined"})
	wantUsers(t, next(t, "bob", bob.server, map[string]any{"kind": "roster", "room": "dev"}), "alice", "bob")

	// typing reaches bob, not alice (excluded).
	if _, err := alice.SendEvent(ctx, "typing", client.JSON(struct{}{}), nil); err != nil {
		t.Fatal(err)
	}
	next(t, "bob", bob.group, map[string]any{"kind": "typing", "from": "alice", "room": "dev"})

	// A message: everyone in the room gets it with the sender's name; the sender gets its count.
	for i, text := range []string{"hello", "again"} {
		if _, err := alice.SendEvent(ctx, "message", client.JSON(map[string]string{"text": text}), nil); err != nil {
			t.Fatal(err)
		}
		next(t, "bob", bob.group, map[string]any{"kind": "message", "from": "alice", "room": "dev", "text": text})
		next(t, "alice", alice.group, map[string]any{"kind": "message", "from": "alice", "text": text})
		next(t, "alice", alice.server, map[string]any{"kind": "sent", "count": float64(i + 1)})
	}
	select {
	case m := <-alice.group:
		if m["kind"] == "typing" {
			t.Errorf("alice received her own typing notice: %v", m)
		}
	default:
	}

	// An empty message is answered with an error, not broadcast.
	if _, err := alice.SendEvent(ctx, "message", client.JSON(map[string]string{"text": "  "}), nil); err != nil {
		t.Fatal(err)
	}
	next(t, "alice", alice.server, map[string]any{"kind": "error"})

	// bob switches rooms: alice sees him leave; messages of the new room reach him.
	if _, err := bob.SendEvent(ctx, "join", client.JSON(map[string]string{"room": "ops"}), nil); err != nil {
		t.Fatal(err)
	}
	wantUsers(t, next(t, "bob", bob.server, map[string]any{"kind": "joined", "room": "ops"}), "bob")
	next(t, "alice", alice.group, map[string]any{"kind": "system", "text": "bob left for #ops", "user": "bob", "presence": "left"})
	if _, err := bob.SendEvent(ctx, "message", client.JSON(map[string]string{"text": "in ops"}), nil); err != nil {
		t.Fatal(err)
	}
	next(t, "bob", bob.group, map[string]any{"kind": "message", "room": "ops", "text": "in ops"})
	next(t, "bob", bob.server, map[string]any{"kind": "sent", "count": float64(1)})

	// bob comes back to dev, then leaves the chat: alice is told.
	if _, err := bob.SendEvent(ctx, "join", client.JSON(map[string]string{"room": "dev"}), nil); err != nil {
		t.Fatal(err)
	}
	next(t, "alice", alice.group, map[string]any{"kind": "system", "text": "bob joined"})
	if err := bob.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	next(t, "alice", alice.group, map[string]any{"kind": "system", "text": "bob left", "presence": "left"})

	// A second connection of alice (another tab) leaves: she is still in the room.
	tab := join(t, s, "alice", "dev")
	next(t, "alice", alice.group, map[string]any{"kind": "system", "text": "alice joined", "presence": "joined"})
	if err := tab.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	next(t, "alice", alice.group, map[string]any{"kind": "system", "text": "alice left", "user": "alice", "presence": nil})

	// mallory is refused at connect with 401, and the app tells why.
	u, status := negotiate(t, s, "mallory", "dev", "attempt-7")
	if status != http.StatusOK {
		t.Fatalf("negotiate(mallory) = %d %s; the ban is enforced at connect, not at sign-in", status, u)
	}
	c, err := client.New(u, &client.Options{Protocol: client.ProtocolJSON, DisableAutoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = c.Start(sctx)
	var dial *client.DialError
	if !errors.As(err, &dial) || dial.StatusCode != http.StatusUnauthorized {
		t.Fatalf("mallory: Start = %v, want a *client.DialError with status 401", err)
	}
	res, err := http.Get(s.url + "connect-error?attempt=attempt-7")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `banned`) {
		t.Errorf("GET /connect-error = %d %s, want 200 with the ban reason", res.StatusCode, body)
	}
	res, err = http.Get(s.url + "connect-error?attempt=unknown")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /connect-error for an unknown attempt = %d, want 404", res.StatusCode)
	}
}

func TestNegotiateRejects(t *testing.T) {
	s := startApp(t)
	tests := []struct {
		name, user, room, want string
	}{
		{"no name", "", "lobby", "name is missing"},
		{"bad name", "a b", "lobby", "is not 1-32"},
		{"bad room", "alice", "a/b", "room"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, status := negotiate(t, s, tt.user, tt.room, "")
			if status != http.StatusBadRequest || !strings.Contains(got, tt.want) {
				t.Errorf("negotiate(%q, %q) = %d %q, want 400 containing %q", tt.user, tt.room, status, got, tt.want)
			}
		})
	}
}

// TestRun checks the start-up output: the embedded emulator and the ready line with the URL.
func TestRun(t *testing.T) {
	out, err := runUntilReady(t, map[string]string{"PORT": "0"})
	if err != nil {
		t.Errorf("run() = %v after cancel, want nil", err)
	}
	for _, want := range []string{"on the embedded emulator at http://127.0.0.1:", "chat: ready, open http://127.0.0.1:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q lacks %q", out.String(), want)
		}
	}
}

// TestWithConnectionString runs the app the way it runs against Azure: a connection string and
// a hub name in the environment, the service configured separately (here an emulator standing
// in for the Azure resource, set up from the settings the app prints).
func TestWithConnectionString(t *testing.T) {
	ctx := t.Context()
	// Not t.Context: the service must outlive the app's shutdown in the cleanups.
	svc, err := emulator.Start(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })

	env := map[string]string{
		"AZURE_WEBPUBSUB_CONNECTION_STRING": svc.ConnectionString(),
		"AZURE_WEBPUBSUB_HUB":               "team",
		"HOST":                              "127.0.0.1",
		"PORT":                              "0",
		"CHAT_BANNED":                       "",
	}
	cfg, err := configFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	s, err := newServer(sctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.serve(sctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	if s.emulator != nil {
		t.Fatal("the app started its own emulator although a connection string is set")
	}
	if want := "http://127.0.0.1:"; !strings.HasPrefix(s.template, want) || !strings.HasSuffix(s.template, "/api/webpubsub/hubs/team/{event}") {
		t.Errorf("event handler template = %q", s.template)
	}
	// What an operator does on Azure with the printed az command.
	svc.SetHub(service.HubSettings{Hub: "team", EventHandlers: []service.EventHandler{s.hub.EventHandler(s.template)}})

	mallory := join(t, s, "mallory", "lobby") // CHAT_BANNED="" bans nobody
	next(t, "mallory", mallory.group, map[string]any{"kind": "system", "text": "mallory joined"})
	if _, err := mallory.SendEvent(ctx, "message", client.JSON(map[string]string{"text": "hi"}), nil); err != nil {
		t.Fatal(err)
	}
	next(t, "mallory", mallory.group, map[string]any{"kind": "message", "from": "mallory", "text": "hi"})
}

func TestRunPrintsAzCommand(t *testing.T) {
	svc, err := emulator.Start(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	out, err := runUntilReady(t, map[string]string{"AZURE_WEBPUBSUB_CONNECTION_STRING": svc.ConnectionString(), "HOST": "127.0.0.1", "PORT": "0"})
	if err != nil {
		t.Errorf("run() = %v after cancel", err)
	}
	for _, want := range []string{
		`chat: hub "chat" on ` + svc.URL(),
		"az webpubsub hub create",
		"https://<your-app-host>/api/webpubsub/hubs/{hub}/{event}",
		"join,message,typing",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// runUntilReady runs the app with env until it prints its ready line, then cancels it and
// returns what it printed and what run returned.
func runUntilReady(t *testing.T, env map[string]string) (*strings.Builder, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, pw, io.Discard)
		pw.Close()
	}()
	var out strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(out.String(), "in a browser\n") {
		n, err := pr.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("run stopped before the ready line: %v; output:\n%s", err, out.String())
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	return &out, <-done
}
