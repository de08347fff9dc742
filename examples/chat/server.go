package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/middleware"
	"github.com/webpubsub-go/webpubsub/service"
)

//go:embed static
var static embed.FS

// Limits of the app's own HTTP server.
const (
	readHeaderTimeout = 10 * time.Second
	negotiateTimeout  = 10 * time.Second
	tokenLifetime     = time.Hour
	shutdownTimeout   = 5 * time.Second
)

// config is what the environment sets (see README.md).
type config struct {
	Hub              string   // AZURE_WEBPUBSUB_HUB, default "chat"
	ConnectionString string   // AZURE_WEBPUBSUB_CONNECTION_STRING; empty: embedded emulator
	Host             string   // HOST; default 127.0.0.1 with the emulator, all interfaces with Azure
	Port             int      // PORT, default 8080; 0 picks a free port
	Banned           []string // CHAT_BANNED, comma-separated, lower case; default "mallory"
	Logger           *slog.Logger
}

// server is the running chat app: the Echo app and, without a connection string, the
// embedded emulator it talks to.
type server struct {
	cfg      config
	hub      *handler.Hub
	echo     *echo.Echo
	http     *http.Server
	listener net.Listener
	emulator *emulator.Server // nil when talking to Azure
	url      string           // the app's base URL, ends in "/"
	template string           // the event handler URL template for the service
}

// newServer listens, starts the embedded emulator when needed and builds the app.
func newServer(ctx context.Context, cfg config) (*server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{cfg: cfg}
	host := cfg.Host
	if host == "" && cfg.ConnectionString == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, err
	}
	s.listener = ln
	port := ln.Addr().(*net.TCPAddr).Port
	urlHost := host
	if urlHost == "" || urlHost == "0.0.0.0" || urlHost == "::" {
		urlHost = "127.0.0.1"
	}
	s.url = "http://" + net.JoinHostPort(urlHost, strconv.Itoa(port)) + "/"

	mwcfg := middleware.Config{Logger: cfg.Logger}
	s.template, err = mwcfg.URLTemplate("http://"+net.JoinHostPort(urlHost, strconv.Itoa(port)), cfg.Hub)
	if err != nil {
		ln.Close()
		return nil, err
	}

	cs := cfg.ConnectionString
	if cs == "" {
		// The embedded default: a local service on a free loopback port. It outlives ctx:
		// serve closes it after the app's shutdown, so that the disconnected events of the
		// connections it then closes do not hit an app still waiting for them.
		s.emulator, err = emulator.Start(context.WithoutCancel(ctx), &emulator.Config{Logger: cfg.Logger})
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("starting the embedded emulator: %w", err)
		}
		cs = s.emulator.ConnectionString()
	}

	c := &chat{banned: cfg.Banned, rejections: newRejections(nil), now: time.Now, log: cfg.Logger}
	s.hub, err = c.newHub(cfg.Hub, cs)
	if err != nil {
		s.closeEmulator()
		ln.Close()
		return nil, err
	}
	if s.emulator != nil {
		// Point the emulator's hub at this app, with exactly the events the hub handles.
		s.emulator.SetHub(service.HubSettings{
			Hub:           cfg.Hub,
			EventHandlers: []service.EventHandler{s.hub.EventHandler(s.template)},
		})
	}

	mwcfg.Hubs = []*handler.Hub{s.hub}
	mw, err := mwcfg.ToMiddleware()
	if err != nil {
		s.closeEmulator()
		ln.Close()
		return nil, err
	}
	page, _ := fs.Sub(static, "static") // cannot fail: "static" is a valid path
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(echomw.Recover())
	e.Use(mw) // upstream calls under /api/webpubsub/hubs/{hub}/; everything else passes
	e.GET("/negotiate", s.negotiate)
	e.GET("/connect-error", c.connectError)
	e.GET("/*", echo.WrapHandler(http.FileServerFS(page)))
	s.echo = e
	s.http = &http.Server{Handler: e, ReadHeaderTimeout: readHeaderTimeout}
	return s, nil
}

// negotiate returns a client access URL for the signed-in name: the token carries the name as
// user id; the room and the attempt id ride along in the URL's query to the connect handler.
func (s *server) negotiate(c echo.Context) error {
	name, room := c.QueryParam("name"), c.QueryParam("room")
	if room == "" {
		room = defaultRoom
	}
	for _, err := range []error{checkName("name", name), checkName("room", room)} {
		if err != nil {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
		}
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), negotiateTimeout)
	defer cancel()
	tok, err := s.hub.Client().ClientAccessToken(ctx, &service.ClientAccessTokenOptions{
		UserID:       name,
		ExpiresAfter: tokenLifetime,
	})
	if err != nil {
		return echo.NewHTTPError(http.StatusBadGateway, "cannot issue a client access token").SetInternal(err)
	}
	u := tok.URL + "&room=" + room // room is [A-Za-z0-9_-]: nothing to escape
	if a := c.QueryParam("attempt"); a != "" && len(a) <= maxAttemptIDLen {
		u += "&attempt=" + url.QueryEscape(a)
	}
	return c.JSON(http.StatusOK, map[string]string{"url": u})
}

// connectError answers why the connect handler refused an attempt (see rejections).
func (c *chat) connectError(ec echo.Context) error {
	reason, ok := c.rejections.take(ec.QueryParam("attempt"))
	if !ok {
		return ec.JSON(http.StatusNotFound, map[string]string{"error": "no rejection recorded for this attempt"})
	}
	return ec.JSON(http.StatusOK, map[string]string{"reason": reason})
}

// serve serves until ctx ends, then shuts down gracefully.
func (s *server) serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.listener) }()
	select {
	case err := <-errc:
		s.closeEmulator()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(sctx)
	s.closeEmulator()
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

func (s *server) closeEmulator() {
	if s.emulator != nil {
		s.emulator.Close()
	}
}
