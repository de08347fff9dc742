// Command roles grants Web PubSub roles on connect from the app's own JWT.
//
// The client puts its app token (issued by the app's sign-in, HS256, verified with
// golang-jwt) into the connection URL; the connect handler verifies it, answers 401 with the
// reason for a bad one, and otherwise maps its claims to the user id and to group-scoped roles
// (webpubsub.joinLeaveGroup.<group>, webpubsub.sendToGroup.<group>). The service then enforces
// the roles: a client without one is refused with the service's own error.
//
//	go run ./examples/roles
//
// walks through it against the embedded emulator and prints every outcome.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/middleware"
	"github.com/webpubsub-go/webpubsub/service"
)

const (
	hubName     = "roles"
	stepTimeout = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "roles:", err)
		os.Exit(1)
	}
}

// env is the running example: the emulator, the app and the app's token issuer.
type env struct {
	emulator *emulator.Server
	hub      *handler.Hub
	tokens   *appTokens
	app      *http.Server
	appURL   string
}

// start runs the emulator and the app (Echo + the webpubsub middleware) on loopback ports.
func start(ctx context.Context, log *slog.Logger) (*env, error) {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand)
	e := &env{tokens: &appTokens{key: key, now: time.Now}}

	var err error
	e.emulator, err = emulator.Start(context.WithoutCancel(ctx), &emulator.Config{Logger: log}) // closed by close
	if err != nil {
		return nil, err
	}
	e.hub, err = newHub(hubName, e.emulator.ConnectionString(), e.tokens, log)
	if err != nil {
		e.emulator.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.emulator.Close()
		return nil, err
	}
	e.appURL = "http://" + ln.Addr().String()
	mwcfg := middleware.Config{Hubs: []*handler.Hub{e.hub}, Logger: log}
	template, err := mwcfg.URLTemplate(e.appURL, hubName)
	if err != nil {
		ln.Close()
		e.emulator.Close()
		return nil, err
	}
	e.emulator.SetHub(service.HubSettings{Hub: hubName, EventHandlers: []service.EventHandler{e.hub.EventHandler(template)}})
	mw, err := mwcfg.ToMiddleware()
	if err != nil {
		ln.Close()
		e.emulator.Close()
		return nil, err
	}
	app := echo.New()
	app.HideBanner, app.HidePort = true, true
	app.Use(mw)
	e.app = &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go e.app.Serve(ln) //nolint:errcheck // ends with ErrServerClosed at close
	return e, nil
}

func (e *env) close() {
	e.app.Close()
	e.emulator.Close()
}

// connectURL is what the app's negotiate endpoint would hand a signed-in client: a client
// access URL for the hub (no user id and no roles of its own) plus the app token.
func (e *env) connectURL(ctx context.Context, appToken string) (string, error) {
	tok, err := e.hub.Client().ClientAccessToken(ctx, nil)
	if err != nil {
		return "", err
	}
	return tok.URL + "&" + appTokenParam + "=" + url.QueryEscape(appToken), nil
}

// dial connects a client with an app token and waits for the service's connected message;
// setup, if not nil, registers handlers first.
func (e *env) dial(ctx context.Context, appToken string, setup func(*client.Client)) (*client.Client, error) {
	u, err := e.connectURL(ctx, appToken)
	if err != nil {
		return nil, err
	}
	c, err := client.New(u, &client.Options{Protocol: client.ProtocolJSON, DisableAutoReconnect: true})
	if err != nil {
		return nil, err
	}
	if setup != nil {
		setup(c)
	}
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := c.Start(sctx); err != nil {
		return nil, err
	}
	return c, nil
}

// run walks through allowed and refused actions and prints each outcome.
func run(ctx context.Context, out io.Writer) error {
	e, err := start(ctx, nil)
	if err != nil {
		return err
	}
	defer e.close()
	fmt.Fprintf(out, "app on %s, emulator on %s, hub %q\n\n", e.appURL, e.emulator.URL(), hubName)

	aliceToken, err := e.tokens.issue("alice", []string{"team-a"}, []string{"team-a"}, time.Hour)
	if err != nil {
		return err
	}
	bobToken, err := e.tokens.issue("bob", []string{"team-a"}, nil, time.Hour)
	if err != nil {
		return err
	}
	alice, err := e.dial(ctx, aliceToken, nil)
	if err != nil {
		return fmt.Errorf("alice: %w", err)
	}
	defer alice.Stop(context.Background())
	received := make(chan string, 1)
	bob, err := e.dial(ctx, bobToken, func(c *client.Client) {
		c.OnGroupMessage(func(_ context.Context, ev *client.GroupMessageEvent) {
			select {
			case received <- fmt.Sprintf("%q from %s in %s", ev.Data.Text(), ev.FromUserID, ev.Group):
			default:
			}
		})
	})
	if err != nil {
		return fmt.Errorf("bob: %w", err)
	}
	defer bob.Stop(context.Background())
	fmt.Fprintln(out, "alice connected with roles webpubsub.joinLeaveGroup.team-a, webpubsub.sendToGroup.team-a")
	fmt.Fprintln(out, "bob   connected with role  webpubsub.joinLeaveGroup.team-a")

	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	report := func(what string, err error) {
		if err == nil {
			fmt.Fprintf(out, "  allowed: %s\n", what)
			return
		}
		fmt.Fprintf(out, "  refused: %s\n           %v\n", what, err)
	}
	_, err = alice.JoinGroup(sctx, "team-a", nil)
	report("alice joins team-a", err)
	_, err = bob.JoinGroup(sctx, "team-a", nil)
	report("bob joins team-a", err)
	_, err = alice.SendToGroup(sctx, "team-a", client.Text("hello team"), nil)
	report("alice sends to team-a", err)
	select {
	case m := <-received:
		fmt.Fprintf(out, "  bob received %s\n", m)
	case <-sctx.Done():
		return errors.New("bob did not receive alice's message")
	}
	_, err = bob.SendToGroup(sctx, "team-a", client.Text("can I talk?"), nil)
	report("bob sends to team-a (no sendToGroup role)", err)
	_, err = alice.JoinGroup(sctx, "team-b", nil)
	report("alice joins team-b (no role for it)", err)

	fmt.Fprintln(out, "\nbad app tokens are refused at connect (401 from the connect handler):")
	expired, err := e.tokens.issue("carol", []string{"team-a"}, nil, -time.Minute)
	if err != nil {
		return err
	}
	forger := &appTokens{key: []byte("not-the-app-key-not-the-app-key!"), now: time.Now}
	forged, err := forger.issue("mallory", []string{"team-a"}, []string{"team-a"}, time.Hour)
	if err != nil {
		return err
	}
	for _, bad := range []struct{ name, token string }{
		{"expired token", expired},
		{"token signed with another key", forged},
		{"no token", ""},
	} {
		status, reason, err := e.handshake(ctx, bad.token)
		if err != nil {
			return fmt.Errorf("%s: %w", bad.name, err)
		}
		fmt.Fprintf(out, "  refused: %s\n           HTTP %d: %s\n", bad.name, status, reason)
	}
	return nil
}

// handshake connects a client with an app token that should be refused and returns the
// status and the reason the service passed on from the connect handler, both carried by the
// client's *client.DialError.
func (e *env) handshake(ctx context.Context, appToken string) (int, string, error) {
	c, err := e.dial(ctx, appToken, nil)
	if err == nil {
		_ = c.Stop(ctx)
		return 0, "", errors.New("connected, want a refusal")
	}
	de, ok := errors.AsType[*client.DialError](err)
	if !ok || de.StatusCode == 0 {
		return 0, "", err
	}
	return de.StatusCode, de.Reason, nil
}
