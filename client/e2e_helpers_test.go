package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

const testHub = "chat"

// env is an in-process emulator on a loopback server, with a service client for its hub and
// an upstream app (for user events) that echoes "echo" events and can hold "slow" ones.
type env struct {
	emu      *emulator.Emulator
	srv      *httptest.Server
	svc      *service.Client
	upstream *upstream
}

type upstream struct {
	mu      sync.Mutex
	events  map[string]int // user event name → requests received
	release chan struct{}  // closed by unblock to let "slow" events answer
	once    sync.Once
	got     chan string // receives the event name of each request
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		w.Header().Set(wire.HeaderAllowedOrigin, "*")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	event := r.Header.Get(wire.HeaderEventName)
	if !strings.HasPrefix(r.Header.Get(wire.HeaderType), wire.TypeUserPrefix) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	u.mu.Lock()
	u.events[event]++
	u.mu.Unlock()
	select {
	case u.got <- event:
	default:
	}
	if event == "slow" {
		select {
		case <-u.release:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", wire.ContentTypeTextUTF8)
	_, _ = io.WriteString(w, "echo:"+string(body))
}

// unblock lets held "slow" events answer.
func (u *upstream) unblock() { u.once.Do(func() { close(u.release) }) }

func (u *upstream) count(event string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.events[event]
}

// newEnv starts an emulator configured by cfg (nil = defaults) with hub testHub routing every
// user event to the test upstream.
func newEnv(t *testing.T, cfg *emulator.Config) *env {
	t.Helper()
	if cfg == nil {
		cfg = &emulator.Config{}
	}
	if os.Getenv("CLIENT_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	up := &upstream{events: map[string]int{}, release: make(chan struct{}), got: make(chan string, 16)}
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	var emu *emulator.Emulator
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { emu.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg.Endpoint = srv.URL
	cfg.Hubs = append(cfg.Hubs, service.HubSettings{
		Hub:           testHub,
		EventHandlers: []service.EventHandler{{URLTemplate: upSrv.URL + "/upstream/{event}", UserEventPattern: "*"}},
	})
	var err error
	emu, err = emulator.New(cfg)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	svc, err := service.NewClientFromConnectionString(emu.ConnectionString(), testHub, nil)
	if err != nil {
		t.Fatalf("service client: %v", err)
	}
	t.Cleanup(up.unblock)
	return &env{emu: emu, srv: srv, svc: svc, upstream: up}
}

// testLogger logs to stderr when CLIENT_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("CLIENT_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// url returns a client access URL for the test hub.
func (e *env) url(t testing.TB, userID string, roles ...string) string {
	t.Helper()
	tok, err := e.svc.ClientAccessToken(t.Context(), &service.ClientAccessTokenOptions{UserID: userID, Roles: roles})
	if err != nil {
		t.Fatalf("ClientAccessToken: %v", err)
	}
	return tok.URL
}

// events records what a client's handler funcs received, as channels the test reads.
type events struct {
	connected    chan *client.ConnectedEvent
	disconnected chan *client.DisconnectedEvent
	stopped      chan *client.StoppedEvent
	server       chan *client.ServerMessageEvent
	group        chan *client.GroupMessageEvent
	rejoinFailed chan *client.RejoinGroupFailedEvent
}

// newClient creates a client for url with opts, records its events, and stops it at cleanup.
func newClient(t *testing.T, url string, opts *client.Options) (*client.Client, *events) {
	t.Helper()
	c, err := client.New(url, opts)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	return c, record(t, c)
}

func record(t *testing.T, c *client.Client) *events { return recordEvents(t, c, true) }

// recordEvents records c's events; without groups, group messages are left to the caller.
func recordEvents(t *testing.T, c *client.Client, groups bool) *events {
	ev := &events{
		connected:    make(chan *client.ConnectedEvent, 16),
		disconnected: make(chan *client.DisconnectedEvent, 16),
		stopped:      make(chan *client.StoppedEvent, 16),
		server:       make(chan *client.ServerMessageEvent, 1024),
		group:        make(chan *client.GroupMessageEvent, 1024),
		rejoinFailed: make(chan *client.RejoinGroupFailedEvent, 16),
	}
	c.OnConnected(func(_ context.Context, e *client.ConnectedEvent) { ev.connected <- e })
	c.OnDisconnected(func(_ context.Context, e *client.DisconnectedEvent) { ev.disconnected <- e })
	c.OnStopped(func(_ context.Context, e *client.StoppedEvent) { ev.stopped <- e })
	c.OnServerMessage(func(_ context.Context, e *client.ServerMessageEvent) { ev.server <- e })
	if groups {
		c.OnGroupMessage(func(_ context.Context, e *client.GroupMessageEvent) { ev.group <- e })
	}
	c.OnRejoinGroupFailed(func(_ context.Context, e *client.RejoinGroupFailedEvent) { ev.rejoinFailed <- e })
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return ev
}

// start starts c and returns its connected event.
func start(t *testing.T, c *client.Client, ev *events) *client.ConnectedEvent {
	t.Helper()
	if err := c.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return next(t, ev.connected, "connected")
}

// next receives one value from ch or fails after a generous timeout.
func next[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s event within 20s", what)
		panic("unreachable")
	}
}

// none fails if ch already holds a value.
func none[T any](t testing.TB, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s event: %+v", what, v)
	default:
	}
}

// clientGoroutines returns the stacks of goroutines running code of package client (the
// client's own goroutines: supervisor, reader, timers, dispatcher).
func clientGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var leaked []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/webpubsub-go/webpubsub/client.") {
			leaked = append(leaked, g)
		}
	}
	return leaked
}

// noClientGoroutines fails when goroutines of package client are still running. Goroutines
// finish asynchronously after the call that ended them returned, so it polls for a while.
func noClientGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		leaked := clientGoroutines()
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d client goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}
