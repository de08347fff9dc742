package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/webpubsub-go/webpubsub/service"
)

func startApp(t *testing.T) *app {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, defaultHub, "", "127.0.0.1", 0, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return a
}

func negotiate(t *testing.T, a *app, name string) (int, string) {
	t.Helper()
	res, err := http.Get(a.url + "/negotiate?name=" + url.QueryEscape(name))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ URL, Error string }
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body.URL + body.Error
}

// dial connects a plain WebSocket client (no subprotocol) for name.
func dial(t *testing.T, a *app, name string) *websocket.Conn {
	t.Helper()
	status, u := negotiate(t, a, name)
	if status != http.StatusOK {
		t.Fatalf("negotiate(%s) = %d %s", name, status, u)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial(%s): %v", name, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

func read(t *testing.T, who string, ws *websocket.Conn) (websocket.MessageType, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	typ, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("%s: read: %v", who, err)
	}
	return typ, string(data)
}

func TestRelay(t *testing.T) {
	a := startApp(t)
	ctx := t.Context()
	// A plain client gets no connected message. Each client's first frame, answered once the
	// service has registered it, is the sign that broadcasts reach it.
	alice := dial(t, a, "alice")
	if err := alice.Write(ctx, websocket.MessageText, []byte("ready")); err != nil {
		t.Fatal(err)
	}
	if _, got := read(t, "alice", alice); got != "relayed: ready" {
		t.Fatalf("alice got %q, want relayed: ready", got)
	}
	bob := dial(t, a, "bob")
	if err := bob.Write(ctx, websocket.MessageText, []byte("ready")); err != nil {
		t.Fatal(err)
	}
	if _, got := read(t, "bob", bob); got != "relayed: ready" {
		t.Fatalf("bob got %q, want relayed: ready", got)
	}
	if _, got := read(t, "alice", alice); got != "bob: ready" {
		t.Fatalf("alice got %q, want bob: ready", got)
	}

	tests := []struct {
		name      string
		typ       websocket.MessageType
		frame     string
		wantReply string
		wantBob   string // "" = bob gets nothing (checked by the next relayed frame)
	}{
		{"text", websocket.MessageText, "hi bob", "relayed: hi bob", "alice: hi bob"},
		{"binary", websocket.MessageBinary, "\x00\x01", "only text frames are relayed", ""},
		{"too long", websocket.MessageText, strings.Repeat("x", maxFrameLen+1), "not relayed: more than 4096 characters", ""},
		{"unicode", websocket.MessageText, "grüße", "relayed: grüße", "alice: grüße"},
	}
	for _, tt := range tests {
		if err := alice.Write(ctx, tt.typ, []byte(tt.frame)); err != nil {
			t.Fatal(err)
		}
		if typ, got := read(t, "alice", alice); typ != websocket.MessageText || got != tt.wantReply {
			t.Errorf("%s: alice got %v %q, want the reply %q", tt.name, typ, got, tt.wantReply)
		}
		if tt.wantBob == "" {
			continue
		}
		if _, got := read(t, "bob", bob); got != tt.wantBob {
			t.Errorf("%s: bob got %q, want %q (refused frames must not be relayed)", tt.name, got, tt.wantBob)
		}
	}
}

func TestConnectNeedsUser(t *testing.T) {
	a := startApp(t)
	tok, err := a.hub.Client().ClientAccessToken(t.Context(), &service.ClientAccessTokenOptions{}) // anonymous
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, res, err := websocket.Dial(ctx, tok.URL, nil)
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous dial = %v (response %v), want 401", err, res)
	}
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "negotiate a URL with ?name= first") {
		t.Errorf("refusal body = %q, want the connect handler's reason", body)
	}
}

func TestNegotiateRejectsBadName(t *testing.T) {
	a := startApp(t)
	for _, name := range []string{"", "a b", strings.Repeat("n", 33)} {
		if status, msg := negotiate(t, a, name); status != http.StatusBadRequest || !strings.Contains(msg, "name must be") {
			t.Errorf("negotiate(%q) = %d %q, want 400", name, status, msg)
		}
	}
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	env := map[string]string{"PORT": "0"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, pw)
		pw.Close()
	}()
	buf := make([]byte, 4096)
	var out strings.Builder
	for !strings.Contains(out.String(), "text frames\n") {
		n, err := pr.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			t.Fatalf("run ended before its ready lines: %v\n%s", err, out.String())
		}
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if err := <-done; err != nil {
		t.Errorf("run() = %v after cancel", err)
	}
	if !strings.Contains(out.String(), "nethttp: ready on http://127.0.0.1:") {
		t.Errorf("output %q lacks the ready line", out.String())
	}
}
