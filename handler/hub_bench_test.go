package handler_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

// discardWriter is a reusable http.ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

// replay turns a built request into a cheap per-iteration copy (fresh body reader).
type replay struct {
	tmpl *http.Request
	body []byte
}

func newReplay(b *testing.B, r *http.Request) *replay {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		b.Fatal(err)
	}
	return &replay{tmpl: r, body: body}
}

func (p *replay) request(rd *bytes.Reader) *http.Request {
	r := *p.tmpl
	rd.Reset(p.body)
	r.Body = io.NopCloser(rd)
	r.ContentLength = int64(len(p.body))
	return &r
}

func benchHub(b *testing.B) *handler.Hub {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		b.Fatal(err)
	}
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		return &handler.ConnectResponse{UserID: "u1", Roles: []string{"webpubsub.joinLeaveGroup"}}, nil
	})
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		if ev.State.Raw() != "" {
			user, err := handler.StateAs[string](&ev.State, "user")
			if err != nil {
				return nil, err
			}
			return handler.TextResponse(user + ":" + ev.Text()), nil
		}
		return &handler.EventResponse{Data: ev.Data, DataType: handler.DataTypeText}, nil
	})
	type chat struct {
		Text string `json:"text"`
	}
	handler.HandleJSON(hub, "chat", func(ctx context.Context, ev *handler.UserEvent, v chat) (*handler.EventResponse, error) {
		return nil, nil
	})
	hub.HandleEvent("count", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		n, _ := handler.StateAs[int](&ev.State, "n")
		return nil, ev.State.Set("n", n+1)
	})
	hub.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error { return nil })
	hub.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error { return nil })
	hub.OnGroupJoined(func(ctx context.Context, ev *handler.GroupEvent) error { return nil })
	return hub
}

// BenchmarkHub measures the full in-process path (signature, decode, route, state,
// respond) per event type, without HTTP transport.
func BenchmarkHub(b *testing.B) {
	hub := benchHub(b)
	cases := []struct {
		name string
		req  *http.Request
	}{
		{"connect", handlertest.Connect("chat", &handlertest.ConnectBody{
			Claims:       map[string][]string{"sub": {"u1"}, "aud": {"http://127.0.0.1:7071/client/hubs/chat"}},
			Query:        map[string][]string{"access_token": {"eyJhbGciOi.e30.x"}},
			Headers:      map[string][]string{"Host": {"127.0.0.1:7071"}, "Sec-WebSocket-Protocol": {"json.webpubsub.azure.v1"}},
			Subprotocols: []string{"json.webpubsub.azure.v1"},
		}, nil)},
		{"message-text", handlertest.Message("chat", "hello world", nil)},
		{"message-state-read", handlertest.Message("chat", "hello", &handlertest.Options{State: handlertest.State(map[string]any{"user": "bob"})})},
		{"event-json", handlertest.JSON("chat", "chat", map[string]string{"text": "hello"}, nil)},
		{"event-state", handlertest.Binary("chat", "count", []byte{1, 2, 3}, &handlertest.Options{State: handlertest.State(map[string]any{"n": 41, "room": "lobby"})})},
		{"connected", handlertest.Connected("chat", nil)},
		{"disconnected", handlertest.Disconnected("chat", &handlertest.DisconnectedBody{Reason: "closed"}, nil)},
		{"joined", handlertest.GroupJoined("chat", "lobby", nil)},
		{"unsigned-refused", handlertest.Message("chat", "x", &handlertest.Options{Unsigned: true})},
	}
	// The anchor: a bare net/http handler that reads the same POST body and answers 200,
	// measured in the same run so ratios are comparable.
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})
	bareReq := newReplay(b, handlertest.Message("chat", "hello world", nil))
	b.Run("bare-read-body", func(b *testing.B) {
		p := bareReq
		rd := new(bytes.Reader)
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			bare.ServeHTTP(w, p.request(rd))
		}
	})
	for _, c := range cases {
		p := newReplay(b, c.req)
		b.Run(c.name, func(b *testing.B) {
			rd := new(bytes.Reader)
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				hub.ServeHTTP(w, p.request(rd))
			}
			if w.status >= 300 && c.name != "unsigned-refused" {
				b.Fatalf("status %d", w.status)
			}
		})
	}
}

// BenchmarkHubParallel serves the HTTP load run's event from GOMAXPROCS goroutines, each
// with its own connection ids, to show that the hub's shared state (registrations, the
// signature cache) does not serialise requests.
func BenchmarkHubParallel(b *testing.B) {
	hub := benchHub(b)
	state := handlertest.State(map[string]any{"user": "bob"})
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := next.Add(1)
		var reqs []*replay
		for i := range 16 {
			reqs = append(reqs, newReplay(b, handlertest.Message("chat", "hello", &handlertest.Options{
				State: state, ConnectionID: fmt.Sprintf("conn-%d-%d", id, i)})))
		}
		rd := new(bytes.Reader)
		w := &discardWriter{h: http.Header{}}
		for i := 0; pb.Next(); i++ {
			clear(w.h)
			hub.ServeHTTP(w, reqs[i%len(reqs)].request(rd))
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}
