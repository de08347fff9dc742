package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
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
}

// Start listens on 127.0.0.1 and serves an Emulator for cfg until ctx ends or Close is
// called. The port is the one of cfg.Endpoint when it names 127.0.0.1, localhost or [::1]
// with a port; otherwise any free port, and Endpoint is set to http://127.0.0.1:<port>.
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
		srv:      &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second},
		url:      c.Endpoint,
		stop:     make(chan struct{}),
	}
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

// Close stops listening, ends every connection (close 1000, reason "The service is shutting
// down."), waits up to the upstream timeout for pending upstream events, and returns.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.closeErr = s.srv.Close()
		s.Emulator.Shutdown()
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
