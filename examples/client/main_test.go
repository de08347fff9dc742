package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/service"
)

// fakeChat is the part of examples/chat's protocol the terminal client uses, on the emulator.
// (e2e/ also runs this client against the real chat example.)
func fakeChat(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	emu, err := emulator.Start(context.WithoutCancel(ctx), nil) // closed in the cleanup
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{emu.ConnectionString()}})
	if err != nil {
		t.Fatal(err)
	}
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		if req.UserID == "mallory" {
			return nil, handler.Unauthorized(`the name "mallory" is banned`)
		}
		room := req.Query.Get("room")
		if err := req.State.Set("room", room); err != nil {
			return nil, err
		}
		return &handler.ConnectResponse{UserID: req.UserID, Groups: []string{room}}, nil
	})
	handler.HandleJSON(hub, "message", func(ctx context.Context, ev *handler.UserEvent, m struct{ Text string }) (*handler.EventResponse, error) {
		room, _ := handler.StateAs[string](&ev.State, "room")
		msg := map[string]any{"kind": "message", "from": ev.UserID, "room": room, "text": m.Text, "time": time.Now()}
		_, err := ev.Client().SendToGroup(ctx, room, service.JSON(msg), nil)
		return nil, err
	})
	handler.HandleJSON(hub, "join", func(ctx context.Context, ev *handler.UserEvent, m struct{ Room string }) (*handler.EventResponse, error) {
		old, _ := handler.StateAs[string](&ev.State, "room")
		if _, err := ev.Client().RemoveConnectionFromGroup(ctx, old, ev.ConnectionID, nil); err != nil {
			return nil, err
		}
		if _, err := ev.Client().AddConnectionToGroup(ctx, m.Room, ev.ConnectionID, nil); err != nil {
			return nil, err
		}
		if err := ev.State.Set("room", m.Room); err != nil {
			return nil, err
		}
		return handler.JSONResponse(map[string]string{"kind": "joined", "room": m.Room})
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	emu.SetHub(service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{hub.EventHandler(base + "/api/webpubsub/hubs/{hub}/{event}")}})
	mux := http.NewServeMux()
	mux.Handle("/api/webpubsub/hubs/chat/", hub)
	mux.HandleFunc("GET /negotiate", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("name") == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"the name is missing"}`)
			return
		}
		tok, err := hub.Client().ClientAccessToken(r.Context(), &service.ClientAccessTokenOptions{UserID: q.Get("name")})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"url": tok.URL + "&room=" + q.Get("room")})
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return base
}

// terminal runs the client with piped input; lines are written one at a time after the
// output contains the awaited text.
type terminal struct {
	in   *io.PipeWriter
	out  chan string
	done chan error
}

func startTerminal(t *testing.T, args ...string) *terminal {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	term := &terminal{in: inW, out: make(chan string, 100), done: make(chan error, 1)}
	go func() {
		term.done <- run(t.Context(), args, inR, outW)
		outW.Close()
	}()
	go func() {
		buf := make([]byte, 4096)
		var pending string
		for {
			n, err := outR.Read(buf)
			pending += string(buf[:n])
			for {
				i := strings.IndexByte(pending, '\n')
				if i < 0 {
					break
				}
				term.out <- pending[:i]
				pending = pending[i+1:]
			}
			if err != nil {
				close(term.out)
				return
			}
		}
	}()
	t.Cleanup(func() { inW.Close() })
	return term
}

func (term *terminal) expect(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case line, ok := <-term.out:
			if !ok {
				t.Fatalf("output ended before %q", want)
			}
			if strings.Contains(line, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no output line containing %q", want)
		}
	}
}

func TestChatSession(t *testing.T) {
	base := fakeChat(t)
	carol := startTerminal(t, "-server", base, "-name", "carol", "-room", "lobby")
	carol.expect(t, "* connected to "+base+" as carol in #lobby")
	dave := startTerminal(t, "-server", base+"/", "-name", "dave", "-room", "lobby")
	dave.expect(t, "as dave in #lobby")

	fmt.Fprintln(carol.in, "hello dave")
	dave.expect(t, "carol: hello dave")
	carol.expect(t, "carol: hello dave")

	fmt.Fprintln(carol.in, "/nope")
	carol.expect(t, `! unknown command "/nope"`)

	fmt.Fprintln(dave.in, "/join dev")
	dave.expect(t, "* you are in #dev")
	fmt.Fprintln(dave.in, "only in dev")
	dave.expect(t, "dave: only in dev")
	fmt.Fprintln(carol.in, "still in lobby")
	carol.expect(t, "carol: still in lobby")

	fmt.Fprintln(dave.in, "/quit")
	if err := <-dave.done; err != nil {
		t.Errorf("dave: run() = %v after /quit", err)
	}
	carol.in.Close() // end of input leaves too
	if err := <-carol.done; err != nil {
		t.Errorf("carol: run() = %v at end of input", err)
	}
	for line := range carol.out {
		if strings.Contains(line, "only in dev") {
			t.Errorf("carol saw a message of another room: %q", line)
		}
		if strings.Contains(line, "disconnected") {
			t.Errorf("carol printed %q while leaving", line)
		}
	}
}

func TestErrors(t *testing.T) {
	base := fakeChat(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"-server", base}, "-name is required"},
		{"bad flag", []string{"-bogus"}, "flag provided but not defined"},
		{"banned", []string{"-server", base, "-name", "mallory"}, `connection rejected (HTTP 401): the name "mallory" is banned`},
		{"no server", []string{"-server", "http://127.0.0.1:1", "-name", "x"}, "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := run(ctx, tt.args, strings.NewReader(""), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

// FuzzOnData feeds arbitrary service payloads to the message printer: no panic, and nothing
// printed for a payload that is not a chat object of the current room.
func FuzzOnData(f *testing.F) {
	f.Add([]byte(`{"kind":"message","from":"a","room":"lobby","text":"hi","time":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"kind":"joined","room":"dev"}`))
	f.Add([]byte(`{"kind":"system","room":"other","text":"x"}`))
	f.Add([]byte(`{"kind":"message","time":"not a time"}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`"text"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out strings.Builder
		s := &session{out: &out, room: "lobby"}
		s.onData(client.RawJSON(data))
		var d chatData
		if json.Unmarshal(data, &d) != nil && out.Len() > 0 {
			t.Errorf("printed %q for a payload that does not decode", out.String())
		}
	})
}
