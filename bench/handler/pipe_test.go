package handlerbench

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/middleware"
)

// path is where the event is posted (the JS SDK's default path, as in ../handler-http).
const path = "/api/webpubsub/hubs/chat/message"

// pipeListener hands out the server ends of in-memory connections.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// dial serves h with net/http and returns the client end of one keep-alive connection.
func dial(tb testing.TB, h http.Handler) net.Conn {
	l := newPipeListener()
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	client, server := net.Pipe()
	select {
	case l.conns <- server:
	case <-l.done:
	}
	tb.Cleanup(func() { _ = client.Close() })
	return client
}

// eventRequest is the load run's request on the wire: a signed text "message" event with
// the state {"user":"bob"}, as HTTP/1.1 bytes.
func eventRequest(tb testing.TB) []byte {
	r := handlertest.Message("chat", "hello", &handlertest.Options{
		ID:    "bench-event",
		State: handlertest.State(map[string]any{"user": "bob"}),
	})
	r.URL.Path = path
	r.Host = "127.0.0.1"
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func newHub(tb testing.TB) *handler.Hub {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		tb.Fatal(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		user, _ := handler.StateAs[string](&ev.State, "user")
		return handler.TextResponse(user + ":" + ev.Text()), nil
	})
	return hub
}

func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	return e
}

// targets are the servers of the load run plus bare-reply: bare Echo answering the same
// text reply as the hub, which separates the cost of answering with a body (headers,
// body write) from the hub's own work.
func targets(tb testing.TB) []struct {
	name string
	h    http.Handler
	want string
} {
	bare := newEcho()
	bare.POST(path, func(c echo.Context) error {
		if _, err := io.ReadAll(c.Request().Body); err != nil {
			return err
		}
		return c.NoContent(http.StatusOK)
	})
	bareReply := newEcho()
	bareReply.POST(path, func(c echo.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "text/plain; charset=utf-8", append([]byte("bob:"), b...))
	})
	route := newEcho()
	route.POST(path, echo.WrapHandler(newHub(tb)))
	ours := newEcho()
	ours.Use(middleware.WebPubSub(newHub(tb)))
	return []struct {
		name string
		h    http.Handler
		want string
	}{
		{"bare", bare, ""},
		{"bare-reply", bareReply, "bob:hello"},
		{"route", route, "bob:hello"},
		{"ours", ours, "bob:hello"},
	}
}

// roundTrip writes req on c and reads one response.
func roundTrip(c net.Conn, br *bufio.Reader, req []byte) (*http.Response, []byte, error) {
	if _, err := c.Write(req); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp, body, err
}

// TestTargets checks that every target answers the event as the load run expects.
func TestTargets(t *testing.T) {
	req := eventRequest(t)
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			c := dial(t, tg.h)
			br := bufio.NewReader(c)
			for range 3 { // the same keep-alive connection serves each request
				resp, body, err := roundTrip(c, br, req)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusOK || string(body) != tg.want ||
					(tg.want != "" && resp.Header.Get("Content-Type") != "text/plain; charset=utf-8") {
					t.Fatalf("%d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
			}
		})
	}
}

// BenchmarkPipe serves the load run's event through net/http over an in-memory
// connection (no kernel, no scheduler noise from other processes on the socket path) for
// each target, side by side in one run. The client side (writing the request, parsing the
// answer) runs in the same process and is the same for all targets, so differences in
// ns/op are the servers' differences; ratios of ns/op understate them.
func BenchmarkPipe(b *testing.B) {
	req := eventRequest(b)
	for _, tg := range targets(b) {
		b.Run(tg.name, func(b *testing.B) {
			c := dial(b, tg.h)
			br := bufio.NewReader(c)
			b.ReportAllocs()
			for b.Loop() {
				resp, body, err := roundTrip(c, br, req)
				if err != nil {
					b.Fatal(err)
				}
				if resp.StatusCode != http.StatusOK || string(body) != tg.want {
					b.Fatalf("%d %q", resp.StatusCode, body)
				}
			}
		})
	}
}
