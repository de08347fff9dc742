// Command client is a terminal chat client for the chat example, written with the webpubsub
// client package (the Go counterpart of @azure/web-pubsub-client).
//
//	go run ./examples/chat                      # in one terminal
//	go run ./examples/client -name carol        # in another; browsers can join too
//
// It asks the chat app for a client access URL (GET /negotiate), connects with the
// json.webpubsub.azure.v1 subprotocol and speaks the chat's events: each line typed is a
// "message", "/join <room>" switches rooms, "/quit" (or end of input) leaves. Messages of the
// room are printed with the sender's name. When the chat refuses the connection, the reason its
// connect handler gave (carried by the client's *client.DialError) is printed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
)

const (
	requestTimeout = 10 * time.Second // negotiate and each event
	maxLineLen     = 64 << 10         // longest input line read
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// session is one terminal user in the chat.
type session struct {
	server string // the chat app's base URL, without a trailing slash
	name   string
	http   *http.Client

	mu   sync.Mutex
	out  io.Writer
	room string // the current room, sent again when the client reconnects
}

// printf writes one line to the terminal; handlers run on the client's goroutines.
func (s *session) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.out, format+"\n", args...)
}

// negotiate asks the chat app for a client access URL; it is the client's URL func, so every
// new connection (also after a reconnect) gets a fresh token for the current room.
func (s *session) negotiate(ctx context.Context) (string, error) {
	s.mu.Lock()
	q := url.Values{"name": {s.name}, "room": {s.room}}
	s.mu.Unlock()
	var body struct{ URL, Error, Message string }
	status, err := s.getJSON(ctx, "/negotiate?"+q.Encode(), &body)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("sign-in refused (%d): %s%s", status, body.Error, body.Message)
	}
	return body.URL, nil
}

func (s *session) getJSON(ctx context.Context, path string, v any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.server+path, nil)
	if err != nil {
		return 0, err
	}
	res, err := s.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v); err != nil {
		return res.StatusCode, fmt.Errorf("%s answered %d without JSON: %w", path, res.StatusCode, err)
	}
	return res.StatusCode, nil
}

// chatData is what the chat app sends (see examples/chat): group messages and replies.
type chatData struct {
	Kind    string    `json:"kind"`
	From    string    `json:"from"`
	Room    string    `json:"room"`
	Text    string    `json:"text"`
	Time    time.Time `json:"time"`
	Count   int       `json:"count"`
	Message string    `json:"message"`
}

func (s *session) onData(m client.Message) {
	var d chatData
	if err := m.Decode(&d); err != nil {
		return
	}
	s.mu.Lock()
	room := s.room
	s.mu.Unlock()
	switch d.Kind {
	case "message":
		if d.Room == room {
			s.printf("[%s] %s: %s", d.Time.Local().Format(time.TimeOnly), d.From, d.Text)
		}
	case "system":
		if d.Room == room {
			s.printf("* %s", d.Text)
		}
	case "joined":
		s.mu.Lock()
		s.room = d.Room
		s.mu.Unlock()
		s.printf("* you are in #%s", d.Room)
	case "error":
		s.printf("! %s", d.Message)
	}
}

// run parses the flags, connects and relays stdin lines until /quit, end of input or ctx ends.
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	flags := flag.NewFlagSet("client", flag.ContinueOnError)
	server := flags.String("server", "http://127.0.0.1:8080", "base URL of the chat app (examples/chat)")
	name := flags.String("name", "", "your name (required)")
	room := flags.String("room", "lobby", "the room to join")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("-name is required")
	}
	s := &session{
		server: strings.TrimSuffix(*server, "/"),
		name:   *name,
		room:   *room,
		out:    stdout,
		http:   &http.Client{Timeout: requestTimeout},
	}

	c, err := client.NewWithURLFunc(s.negotiate, &client.Options{Protocol: client.ProtocolJSON})
	if err != nil {
		return err
	}
	c.OnGroupMessage(func(_ context.Context, ev *client.GroupMessageEvent) { s.onData(ev.Data) })
	c.OnServerMessage(func(_ context.Context, ev *client.ServerMessageEvent) { s.onData(ev.Data) })
	var stopping atomic.Bool
	c.OnConnected(func(_ context.Context, ev *client.ConnectedEvent) {
		s.mu.Lock()
		room := s.room
		s.mu.Unlock()
		s.printf("* connected to %s as %s in #%s (type a message, /join <room>, /quit)", s.server, ev.UserID, room)
	})
	c.OnDisconnected(func(_ context.Context, ev *client.DisconnectedEvent) {
		if !stopping.Load() {
			s.printf("! disconnected, reconnecting…")
		}
	})
	if err := c.Start(ctx); err != nil {
		if dial, ok := errors.AsType[*client.DialError](err); ok && dial.Reason != "" {
			return fmt.Errorf("connection rejected (HTTP %d): %s", dial.StatusCode, dial.Reason)
		}
		return err
	}
	defer func() {
		stopping.Store(true)
		c.Stop(context.Background())
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 4096), maxLineLen)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
			if !ok {
				return nil
			}
		}
		line = strings.TrimSpace(line)
		var err error
		switch {
		case line == "":
			continue
		case line == "/quit":
			return nil
		case strings.HasPrefix(line, "/join "):
			err = send(ctx, c, "join", map[string]string{"room": strings.TrimSpace(strings.TrimPrefix(line, "/join "))})
		case strings.HasPrefix(line, "/"):
			s.printf("! unknown command %q (try /join <room> or /quit)", line)
		default:
			err = send(ctx, c, "message", map[string]string{"text": line})
		}
		if err != nil {
			s.printf("! %v", err)
		}
	}
}

// send sends one chat event and waits for the service's ack.
func send(ctx context.Context, c *client.Client, event string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	_, err := c.SendEvent(ctx, event, client.JSON(v), nil)
	return err
}
