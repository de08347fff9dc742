package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

const testKey = "test-key-0123456789"

// event is one upstream request the fake upstream received.
type event struct {
	method string
	path   string
	header http.Header
	body   []byte
}

func (ev event) name() string { return ev.header.Get(wire.HeaderEventName) }

// upstream is a fake event handler: it answers the abuse-protection handshake, records every
// POST and answers it with respond (default: 200, empty body).
type upstream struct {
	t       *testing.T
	srv     *httptest.Server
	events  chan event
	mu      sync.Mutex
	respond func(w http.ResponseWriter, ev event)
	options int
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{t: t, events: make(chan event, 1000)}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			u.mu.Lock()
			u.options++
			u.mu.Unlock()
			w.Header().Set(wire.HeaderAllowedOrigin, "*")
			return
		}
		body, _ := io.ReadAll(r.Body)
		ev := event{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body}
		u.events <- ev
		u.mu.Lock()
		respond := u.respond
		u.mu.Unlock()
		if respond != nil {
			respond(w, ev)
		}
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) setRespond(f func(w http.ResponseWriter, ev event)) {
	u.mu.Lock()
	u.respond = f
	u.mu.Unlock()
}

// next returns the next recorded event named name, skipping others.
func (u *upstream) next(name string) event {
	u.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-u.events:
			if ev.name() == name {
				return ev
			}
		case <-timeout:
			u.t.Fatalf("upstream: no %q event within 10s", name)
		}
	}
}

// handler returns event handler settings for every event.
func (u *upstream) handler() service.EventHandler {
	return service.EventHandler{
		URLTemplate:         u.srv.URL + "/upstream/{hub}/{event}",
		UserEventPattern:    "*",
		SystemEvents:        []string{"connect", "connected", "disconnected"},
		GroupPresenceEvents: []string{"joined", "left"},
	}
}

// startEmulator starts an emulator with testKey and the given hub settings.
func startEmulator(t *testing.T, cfg Config, hubs ...service.HubSettings) *Server {
	t.Helper()
	if cfg.AccessKey == "" {
		cfg.AccessKey = testKey
	}
	cfg.Hubs = append(cfg.Hubs, hubs...)
	if cfg.UpstreamTimeout == 0 {
		cfg.UpstreamTimeout = 5 * time.Second
	}
	s, err := Start(t.Context(), &cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

type tokenOpts struct {
	key    string
	aud    string
	sub    string
	roles  []string
	groups []string
	exp    time.Duration
	nbf    time.Duration
}

// token signs a client access token for hub on s.
func token(t *testing.T, s *Server, hub string, o tokenOpts) string {
	t.Helper()
	if o.key == "" {
		o.key = testKey
	}
	if o.aud == "" {
		o.aud = s.URL() + "/client/hubs/" + hub
	}
	if o.exp == 0 {
		o.exp = time.Hour
	}
	claims := jwt.MapClaims{"aud": o.aud, "exp": time.Now().Add(o.exp).Unix(), "iat": time.Now().Unix()}
	if o.sub != "" {
		claims["sub"] = o.sub
	}
	if o.roles != nil {
		claims["role"] = o.roles
	}
	if o.groups != nil {
		claims["webpubsub.group"] = o.groups
	}
	if o.nbf != 0 {
		claims["nbf"] = time.Now().Add(o.nbf).Unix()
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(o.key))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// clientURL returns the ws:// URL of hub with query parameters.
func clientURL(s *Server, hub string, q url.Values) string {
	u := "ws" + strings.TrimPrefix(s.URL(), "http") + "/client/hubs/" + hub
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// dial connects to u with subprotocols; it fails the test on error.
func dial(t *testing.T, u string, protos ...string) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.Dial(t.Context(), u, &websocket.DialOptions{Subprotocols: protos})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", u, err, status)
	}
	c.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// dialStatus tries a handshake and returns the HTTP status (101 on success) and body.
func dialStatus(t *testing.T, u string, header http.Header, protos ...string) (int, string) {
	t.Helper()
	c, resp, err := websocket.Dial(t.Context(), u, &websocket.DialOptions{Subprotocols: protos, HTTPHeader: header})
	if err == nil {
		_ = c.CloseNow()
		return http.StatusSwitchingProtocols, ""
	}
	if resp == nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// msg is a decoded service→client JSON frame.
type msg struct {
	Type              string          `json:"type"`
	Event             string          `json:"event"`
	ConnectionID      string          `json:"connectionId"`
	UserID            string          `json:"userId"`
	ReconnectionToken string          `json:"reconnectionToken"`
	Message           string          `json:"message"`
	From              string          `json:"from"`
	Group             string          `json:"group"`
	FromUserID        string          `json:"fromUserId"`
	DataType          string          `json:"dataType"`
	Data              json.RawMessage `json:"data"`
	SequenceID        uint64          `json:"sequenceId"`
	AckID             uint64          `json:"ackId"`
	Success           bool            `json:"success"`
	Error             *struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

// read reads one JSON frame from c within 10 s.
func read(t *testing.T, c *websocket.Conn) msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("read: got a binary frame %q", b)
	}
	var m msg
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("read: %v in %s", err, b)
	}
	return m
}

// write sends one JSON request.
func write(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(t.Context(), websocket.MessageText, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// connectJSON dials hub with a token and subprotocol and returns the conn and the connected
// system message.
func connectJSON(t *testing.T, s *Server, hub, proto string, o tokenOpts) (*websocket.Conn, msg) {
	t.Helper()
	c := dial(t, clientURL(s, hub, url.Values{"access_token": {token(t, s, hub, o)}}), proto)
	m := read(t, c)
	if m.Type != "system" || m.Event != "connected" || m.ConnectionID == "" {
		t.Fatalf("first message = %+v, want system connected", m)
	}
	return c, m
}

// waitFor polls cond (state changes that have no event to wait on) for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logBuffer collects log output safely for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// count returns how many log lines contain s.
func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}
