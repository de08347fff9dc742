package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an [Emulator] serving on a loopback listener, returned by [Start]. The embedded
// Emulator's methods (ConnectionString, SetHub, DropConnection) are available directly.
type Server struct {
	*Emulator
	srv       *http.Server
	url       string
	closeOnce sync.Once
	closeErr  error
	stop      chan struct{}
	draining  atomic.Bool // Close has begun: handshakes are refused, REST calls still served
}

// Start listens on 127.0.0.1 and serves an Emulator for cfg until ctx ends or Close is
// called. The port is the one of cfg.Endpoint when it names 127.0.0.1, localhost or [::1]
// with a port; otherwise any free port, and Endpoint is set to http://127.0.0.1:<port>.
//
// When ctx ends, the server closes itself as [Server.Close] does: every connection ends, so
// the app's upstream gets a disconnected event for each. The REST API keeps answering until
// those events are done, so service calls made by disconnected handlers succeed; but an app
// that stops its own HTTP server on the same ctx may no longer be there to receive the
// events (they fail and are logged). To control the order, give Start a context that does
// not end with the app's, context.WithoutCancel(ctx), and call Close after the app stopped
// using the emulator:
//
//	emu, err := emulator.Start(context.WithoutCancel(ctx), cfg)
//	…
//	defer emu.Close()
func Start(ctx context.Context, cfg *Config) (*Server, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	addr := "127.0.0.1:0"
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil {
			return nil, errors.Join(ErrInvalidConfig, err)
		}
		host := u.Hostname()
		switch host {
		case "127.0.0.1", "localhost":
			addr = "127.0.0.1:" + u.Port()
		case "::1":
			addr = "[::1]:" + u.Port()
		default:
			return nil, errors.Join(ErrInvalidConfig, errors.New("webpubsub: Start listens on loopback only; Endpoint host must be 127.0.0.1, localhost or ::1"))
		}
		if u.Port() == "" {
			addr += "0"
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if c.Endpoint == "" || mustPort(c.Endpoint) == "" {
		c.Endpoint = "http://" + ln.Addr().String()
	}
	e, err := New(&c)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	s := &Server{
		Emulator: e,
		url:      c.Endpoint,
		stop:     make(chan struct{}),
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.stop:
		}
	}()
	e.log.Info("webpubsub-emulator ready on " + s.url)
	return s, nil
}

func mustPort(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Port()
}

// URL returns the base URL the server listens on, e.g. http://127.0.0.1:40123.
func (s *Server) URL() string { return s.url }

// serveHTTP refuses client handshakes once Close has begun and serves everything else.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() && !strings.HasPrefix(r.URL.EscapedPath(), "/api") {
		http.Error(w, "The service is shutting down.", http.StatusServiceUnavailable)
		return
	}
	s.Emulator.ServeHTTP(w, r)
}

// Close shuts the server down in an order that lets the app finish cleanly: new client
// handshakes are refused (503), every connection ends (close 1000, reason "The service is
// shutting down."), the upstream events this causes are awaited (up to
// [Config.UpstreamTimeout]) while the REST API keeps answering, so that disconnected
// handlers calling the service succeed; then the listener closes. It is safe to call more
// than once and from several goroutines (later calls wait for the first).
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.draining.Store(true)
		s.Emulator.Shutdown()
		s.closeErr = s.srv.Close()
	})
	return s.closeErr
}

// Shutdown ends every connection of every hub (close 1000 after the disconnected system
// message "The service is shutting down."; recoverable sessions too) and waits up to
// [Config.UpstreamTimeout] for the upstream events this causes. Use it before stopping the
// http.Server serving the emulator: Server.Shutdown does not close WebSockets. The emulator
// still accepts new connections afterwards.
func (e *Emulator) Shutdown() {
	e.mu.RLock()
	hubs := make([]*hub, 0, len(e.hubs))
	for _, h := range e.hubs {
		hubs = append(hubs, h)
	}
	e.mu.RUnlock()
	for _, h := range hubs {
		h.closeAll(nil, "The service is shutting down.")
	}
	select {
	case <-e.async.wait():
	case <-time.After(e.cfg.UpstreamTimeout):
	}
}
