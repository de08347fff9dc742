// Command nethttp mounts a Web PubSub hub on the standard library's net/http, without Echo:
// a handler.Hub is an http.Handler, so it goes into an http.ServeMux under the path that the
// service's event handler URL template names.
//
//	go run ./examples/nethttp
//
// starts the embedded emulator (unless AZURE_WEBPUBSUB_CONNECTION_STRING is set), serves the
// hub and a negotiate endpoint on PORT (default 8081) and prints how to connect. The hub
// relays plain WebSocket text frames: each one goes to every other connection with the
// sender's name, and the sender gets a receipt.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/service"
)

const (
	defaultHub  = "relay"
	maxFrameLen = 4096 // characters relayed from one frame; longer ones are refused
)

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// newHub returns the relay hub: connect requires a user id (from the negotiated token),
// message relays text to everyone else.
func newHub(name, connectionString string, log *slog.Logger) (*handler.Hub, error) {
	hub, err := handler.NewHub(name, &handler.Options{ConnectionStrings: []string{connectionString}, Logger: log})
	if err != nil {
		return nil, err
	}
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		if req.UserID == "" {
			return nil, handler.Unauthorized("negotiate a URL with ?name= first")
		}
		return &handler.ConnectResponse{UserID: req.UserID}, nil
	})
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		if ev.DataType != handler.DataTypeText {
			return handler.TextResponse("only text frames are relayed"), nil
		}
		text := ev.Text()
		if len([]rune(text)) > maxFrameLen {
			return handler.TextResponse(fmt.Sprintf("not relayed: more than %d characters", maxFrameLen)), nil
		}
		_, err := ev.Client().SendToAll(ctx, service.Text(ev.UserID+": "+text),
			&service.SendToAllOptions{Excluded: []string{ev.ConnectionID}})
		if err != nil {
			return nil, err
		}
		return handler.TextResponse("relayed: " + text), nil
	})
	return hub, nil
}

// app is the running example.
type app struct {
	hub      *handler.Hub
	emulator *emulator.Server // nil with Azure
	server   *http.Server
	listener net.Listener
	url      string
}

// newApp listens on host:port, starts the emulator when cs is empty and builds the mux.
func newApp(ctx context.Context, hubName, cs, host string, port int, log *slog.Logger) (*app, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	a := &app{listener: ln, url: "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
	if cs == "" {
		// Closed by serve after the app's shutdown, not when ctx ends (see examples/chat).
		a.emulator, err = emulator.Start(context.WithoutCancel(ctx), &emulator.Config{Logger: log})
		if err != nil {
			ln.Close()
			return nil, err
		}
		cs = a.emulator.ConnectionString()
	}
	a.hub, err = newHub(hubName, cs, log)
	if err != nil {
		a.close()
		return nil, err
	}
	path := "/api/webpubsub/hubs/" + hubName + "/"
	if a.emulator != nil {
		a.emulator.SetHub(service.HubSettings{Hub: hubName, EventHandlers: []service.EventHandler{
			a.hub.EventHandler(a.url + path + "{event}"),
		}})
	}

	mux := http.NewServeMux()
	mux.Handle(path, a.hub) // the hub ignores the rest of the path; ce-eventName says which event
	mux.HandleFunc("GET /negotiate", a.negotiate)
	a.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return a, nil
}

// negotiate answers {"url": ...}: a client access URL for ?name=.
func (a *app) negotiate(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	w.Header().Set("Content-Type", "application/json")
	if !validName.MatchString(name) {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "name must be 1-32 letters, digits, '-' or '_'"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	tok, err := a.hub.Client().ClientAccessToken(ctx, &service.ClientAccessTokenOptions{UserID: name})
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		json.NewEncoder(w).Encode(map[string]string{"error": "cannot issue a client access token"})
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"url": tok.URL})
}

// serve serves until ctx ends.
func (a *app) serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = a.server.Shutdown(sctx)
		cancel()
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
	}
	a.close()
	return err
}

func (a *app) close() {
	a.listener.Close()
	if a.emulator != nil {
		a.emulator.Close()
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.LookupEnv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

// run reads PORT, HOST, AZURE_WEBPUBSUB_CONNECTION_STRING and AZURE_WEBPUBSUB_HUB, prints the
// ready line and serves until ctx ends.
func run(ctx context.Context, lookupEnv func(string) (string, bool), out io.Writer) error {
	get := func(k, def string) string {
		if v, ok := lookupEnv(k); ok && v != "" {
			return v
		}
		return def
	}
	cs := get("AZURE_WEBPUBSUB_CONNECTION_STRING", "")
	host := get("HOST", "")
	if host == "" && cs == "" {
		host = "127.0.0.1"
	}
	port, err := strconv.Atoi(get("PORT", "8081"))
	if err != nil || port < 0 || port > 65535 {
		return fmt.Errorf("PORT=%q is not a TCP port number", get("PORT", ""))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := newApp(ctx, get("AZURE_WEBPUBSUB_HUB", defaultHub), cs, host, port, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "nethttp: ready on %s; get a URL with: curl '%s/negotiate?name=alice'\n", a.url, a.url)
	fmt.Fprintln(out, "nethttp: then connect a plain WebSocket client to it and send text frames")
	return a.serve(ctx)
}
