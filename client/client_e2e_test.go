package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/service"
)

var protocols = []client.Protocol{client.ProtocolJSONReliable, client.ProtocolJSON}

func TestConnectedEvent(t *testing.T) {
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			e := newEnv(t, nil)
			c, ev := newClient(t, e.url(t, "alice"), &client.Options{Protocol: p})
			conn := start(t, c, ev)
			if conn.ConnectionID == "" || conn.UserID != "alice" {
				t.Errorf("connected = %+v, want an id and user alice", conn)
			}
			if c.ConnectionID() != conn.ConnectionID || c.UserID() != "alice" {
				t.Errorf("ConnectionID(), UserID() = %q, %q, want %q, alice", c.ConnectionID(), c.UserID(), conn.ConnectionID)
			}
			if err := c.Start(t.Context()); !errors.Is(err, client.ErrAlreadyStarted) {
				t.Errorf("second Start = %v, want ErrAlreadyStarted", err)
			}
		})
	}
}

func TestGroupMessagesAllDataTypes(t *testing.T) {
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := t.Context()
			c, ev := newClient(t, e.url(t, "alice", "webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"), &client.Options{Protocol: p})
			start(t, c, ev)
			res, err := c.JoinGroup(ctx, "room", nil)
			if err != nil || res.AckID == 0 {
				t.Fatalf("JoinGroup = %+v, %v", res, err)
			}
			tests := []struct {
				name string
				msg  client.Message
			}{
				{"text", client.Text("hello ünïcode \"quoted\"")},
				{"json", client.JSON(map[string]any{"n": 1.5, "s": "x"})},
				{"json string", client.JSON("just a string")},
				{"binary", client.Binary([]byte{0, 1, 2, 255, 254})},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := c.SendToGroup(ctx, "room", tt.msg, nil); err != nil {
						t.Fatalf("SendToGroup: %v", err)
					}
					got := next(t, ev.group, "group message")
					if got.Group != "room" || got.FromUserID != "alice" {
						t.Errorf("group message from %q in %q, want alice in room", got.FromUserID, got.Group)
					}
					if got.Data.DataType() != tt.msg.DataType() || !bytes.Equal(got.Data.Bytes(), tt.msg.Bytes()) {
						t.Errorf("received %v, want %v", got.Data, tt.msg)
					}
					if p == client.ProtocolJSONReliable && got.SequenceID == 0 {
						t.Errorf("no sequence id on the reliable protocol")
					}
				})
			}
		})
	}
}

func TestNoEchoAndFireAndForget(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	c, ev := newClient(t, e.url(t, "alice", "webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"), nil)
	start(t, c, ev)
	if _, err := c.JoinGroup(ctx, "room", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendToGroup(ctx, "room", client.Text("not for me"), &client.SendToGroupOptions{NoEcho: true}); err != nil {
		t.Fatalf("SendToGroup(NoEcho): %v", err)
	}
	res, err := c.SendToGroup(ctx, "room", client.Text("fire"), &client.SendToGroupOptions{FireAndForget: true})
	if err != nil || res.AckID != 0 {
		t.Fatalf("SendToGroup(FireAndForget) = %+v, %v, want no ack id", res, err)
	}
	if _, err := c.SendToGroup(ctx, "room", client.Text("marker"), nil); err != nil {
		t.Fatal(err)
	}
	// Messages of one connection arrive in order: the no-echo one would precede "fire".
	for _, want := range []string{"fire", "marker"} {
		if got := next(t, ev.group, "group message").Data.Text(); got != want {
			t.Errorf("received %q, want %q (no-echo message must be skipped)", got, want)
		}
	}
}

func TestLeaveGroup(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	c, ev := newClient(t, e.url(t, "alice", "webpubsub.joinLeaveGroup"), nil)
	start(t, c, ev)
	if _, err := c.JoinGroup(ctx, "room", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendToGroup(ctx, "room", service.Text("in"), nil); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ev.group, "group message"); got.Data.Text() != "in" || got.FromUserID != "" {
		t.Errorf("REST group message = %+v, want text in without fromUserId", got)
	}
	if _, err := c.LeaveGroup(ctx, "room", nil); err != nil {
		t.Fatalf("LeaveGroup: %v", err)
	}
	if _, err := e.svc.SendToGroup(ctx, "room", service.Text("after leave"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendToConnection(ctx, c.ConnectionID(), service.Text("marker"), nil); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ev.server, "server message"); got.Data.Text() != "marker" {
		t.Errorf("server message = %v, want marker", got.Data)
	}
	none(t, ev.group, "group message after leave")
}

func TestServerMessages(t *testing.T) {
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := t.Context()
			c, ev := newClient(t, e.url(t, "bob"), &client.Options{Protocol: p})
			start(t, c, ev)
			tests := []struct {
				name string
				send func() error
				want client.Message
			}{
				{"all text", func() error { _, err := e.svc.SendToAll(ctx, service.Text("hi all"), nil); return err }, client.Text("hi all")},
				{"user json", func() error {
					_, err := e.svc.SendToUser(ctx, "bob", service.JSON(map[string]int{"a": 1}), nil)
					return err
				}, client.RawJSON([]byte(`{"a":1}`))},
				{"connection binary", func() error {
					_, err := e.svc.SendToConnection(ctx, c.ConnectionID(), service.Binary([]byte{1, 2, 3}), nil)
					return err
				}, client.Binary([]byte{1, 2, 3})},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if err := tt.send(); err != nil {
						t.Fatalf("REST send: %v", err)
					}
					got := next(t, ev.server, "server message")
					if got.Data.DataType() != tt.want.DataType() || !bytes.Equal(bytes.TrimSpace(got.Data.Bytes()), tt.want.Bytes()) {
						t.Errorf("received %v, want %v", got.Data, tt.want)
					}
				})
			}
		})
	}
}

func TestSendEvent(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	c, ev := newClient(t, e.url(t, "carol"), nil)
	start(t, c, ev)
	res, err := c.SendEvent(ctx, "echo", client.Text("ping"), nil)
	if err != nil || res.AckID == 0 || res.Duplicated {
		t.Fatalf("SendEvent = %+v, %v", res, err)
	}
	if got := next(t, ev.server, "server message"); got.Data.Text() != "echo:ping" {
		t.Errorf("upstream reply = %v, want echo:ping", got.Data)
	}
	if _, err := c.SendEvent(ctx, "echo", client.Binary([]byte("raw")), &client.SendEventOptions{FireAndForget: true}); err != nil {
		t.Fatalf("SendEvent(FireAndForget): %v", err)
	}
	if got := next(t, ev.server, "server message"); got.Data.Text() != "echo:raw" {
		t.Errorf("upstream reply = %v, want echo:raw", got.Data)
	}
}

func TestForbiddenErrors(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	c, ev := newClient(t, e.url(t, "mallory", "webpubsub.joinLeaveGroup.allowed"), nil)
	start(t, c, ev)
	tests := []struct {
		name string
		op   func() (client.AckResult, error)
	}{
		{"join other group", func() (client.AckResult, error) { r, err := c.JoinGroup(ctx, "secret", nil); return r.AckResult, err }},
		{"leave other group", func() (client.AckResult, error) { r, err := c.LeaveGroup(ctx, "secret", nil); return r.AckResult, err }},
		{"send without role", func() (client.AckResult, error) {
			r, err := c.SendToGroup(ctx, "allowed", client.Text("x"), nil)
			return r.AckResult, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.op()
			var ae *client.AckError
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v, want *client.AckError", err)
			}
			if ae.Name != client.AckErrorForbidden || ae.Message == "" || ae.AckID != res.AckID || ae.AckID == 0 {
				t.Errorf("AckError = %+v (result %+v), want Forbidden with a message and the request's ack id", ae, res)
			}
		})
	}
	if _, err := c.JoinGroup(ctx, "allowed", nil); err != nil {
		t.Errorf("JoinGroup(allowed) = %v, want success with webpubsub.joinLeaveGroup.allowed", err)
	}
}

func TestDuplicateAckID(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	c, ev := newClient(t, e.url(t, "dave", "webpubsub.sendToGroup"), nil)
	start(t, c, ev)
	first, err := c.SendToGroup(ctx, "g", client.Text("once"), &client.SendToGroupOptions{AckID: 1000})
	if err != nil || first.AckID != 1000 || first.Duplicated {
		t.Fatalf("first send = %+v, %v", first, err)
	}
	second, err := c.SendToGroup(ctx, "g", client.Text("once"), &client.SendToGroupOptions{AckID: 1000})
	if err != nil || !second.Duplicated {
		t.Fatalf("resend with the same ack id = %+v, %v, want Duplicated", second, err)
	}
}

func TestContextCancel(t *testing.T) {
	e := newEnv(t, nil)
	c, ev := newClient(t, e.url(t, "erin"), nil)
	start(t, c, ev)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.SendEvent(ctx, "slow", client.Text("x"), nil)
		done <- err
	}()
	next(t, e.upstream.got, "upstream request")
	cancel()
	if err := next(t, done, "SendEvent return"); !errors.Is(err, context.Canceled) {
		t.Errorf("SendEvent after cancel = %v, want context.Canceled", err)
	}
	// The connection is unaffected. (The emulator runs one connection's events in order, so
	// the held one must answer first.)
	e.upstream.unblock()
	if _, err := c.SendEvent(t.Context(), "echo", client.Text("after"), nil); err != nil {
		t.Errorf("SendEvent after a cancelled one = %v", err)
	}
}

func TestMessageTooLarge(t *testing.T) {
	e := newEnv(t, nil)
	c, ev := newClient(t, e.url(t, "frank", "webpubsub.sendToGroup"), &client.Options{MaxMessageSize: 1000})
	start(t, c, ev)
	_, err := c.SendToGroup(t.Context(), "g", client.Binary(make([]byte, 1000)), nil)
	if !errors.Is(err, client.ErrMessageTooLarge) {
		t.Errorf("SendToGroup(1000 bytes base64) = %v, want ErrMessageTooLarge", err)
	}
	if _, err := c.SendToGroup(t.Context(), "g", client.Binary(make([]byte, 500)), nil); err != nil {
		t.Errorf("SendToGroup(500 bytes) = %v", err)
	}
}

func TestStartRejected(t *testing.T) {
	e := newEnv(t, nil)
	c, err := client.New(e.srv.URL+"/client/hubs/"+testHub+"?access_token=bad", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Start(t.Context())
	var de *client.DialError
	if !errors.As(err, &de) || de.StatusCode != 401 {
		t.Fatalf("Start with a bad token = %v, want DialError 401", err)
	}
	noClientGoroutines(t)
}

// TestRecoveryStream drops the connection in the middle of 10,000 group messages: on the
// reliable protocol every message arrives exactly once and in order, on the same connection.
func TestRecoveryStream(t *testing.T) {
	const total = 10000
	e := newEnv(t, nil)
	ctx := t.Context()
	recv, err := client.New(e.url(t, "receiver", "webpubsub.joinLeaveGroup"), &client.Options{RecoveryDelay: 50 * time.Millisecond, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, total+100)
	dropAt := make(chan struct{})
	var count atomic.Int64
	recv.OnGroupMessage(func(_ context.Context, ev *client.GroupMessageEvent) {
		var n int
		if err := ev.Data.Decode(&n); err != nil {
			t.Errorf("decode %v: %v", ev.Data, err)
		}
		got <- n
		if count.Add(1) == total/2 {
			close(dropAt)
		}
	})
	ev := recordEvents(t, recv, false)
	conn := start(t, recv, ev)
	if _, err := recv.JoinGroup(ctx, "stream", nil); err != nil {
		t.Fatal(err)
	}
	pub, pev := newClient(t, e.url(t, "publisher", "webpubsub.sendToGroup"), nil)
	start(t, pub, pev)

	dropped := make(chan error, 1)
	go func() {
		<-dropAt
		dropped <- e.emu.DropConnection(testHub, conn.ConnectionID)
	}()
	// The publisher sends windows of 250 (fire and forget, the last one acked) and waits for
	// the receiver to get each window: like the service, the emulator drops a connection with
	// more than 1000 messages unacknowledged, and this test is about recovery, not flow
	// control (the receiver acknowledges every 300 messages: 250 + 300 + what a lost ack left
	// stays under 1000).
	const window = 250
	want := 1
	for i := 1; i <= total; i++ {
		opts := &client.SendToGroupOptions{FireAndForget: i%window != 0 && i != total}
		if _, err := pub.SendToGroup(ctx, "stream", client.JSON(i), opts); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if i%window != 0 && i != total {
			continue
		}
		for ; want <= i; want++ {
			if n := next(t, got, fmt.Sprintf("message %d", want)); n != want {
				t.Fatalf("message %d arrived as number %d: not exactly once in order", want, n)
			}
		}
	}
	if err := next(t, dropped, "drop"); err != nil {
		t.Fatalf("DropConnection: %v", err)
	}
	// One more round trip; nothing else may have arrived meanwhile.
	if _, err := pub.SendToGroup(ctx, "stream", client.JSON(0), nil); err != nil {
		t.Fatal(err)
	}
	if n := next(t, got, "final message"); n != 0 {
		t.Fatalf("after the stream got %d, want the final 0 (duplicate delivery)", n)
	}
	none(t, ev.disconnected, "disconnected (recovery must be silent)")
	none(t, ev.connected, "second connected (recovery is not a new connection)")
	if recv.ConnectionID() != conn.ConnectionID {
		t.Errorf("connection id %q after recovery, want %q", recv.ConnectionID(), conn.ConnectionID)
	}
}

// TestReconnectAndRejoin ends connections that cannot be recovered: the client opens a new
// connection, joins its groups again and receives their messages.
func TestReconnectAndRejoin(t *testing.T) {
	drop := func(t *testing.T, e *env, connID string) {
		if err := e.emu.DropConnection(testHub, connID); err != nil {
			t.Fatal(err)
		}
	}
	closeByService := func(t *testing.T, e *env, connID string) {
		if _, err := e.svc.CloseConnection(t.Context(), connID, nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		proto client.Protocol
		end   func(t *testing.T, e *env, connID string)
	}{
		{"json protocol, network drop", client.ProtocolJSON, drop},
		// A reliable connection closed by the service on purpose (REST close) is not recovered.
		// (A network drop would be recovered; see TestRecoveryStream.)
		{"reliable, closed by the service", client.ProtocolJSONReliable, closeByService},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := t.Context()
			var urls atomic.Int64
			c, err := client.NewWithURLFunc(func(context.Context) (string, error) {
				urls.Add(1)
				return e.url(t, "gina", "webpubsub.joinLeaveGroup"), nil
			}, &client.Options{Protocol: tt.proto, RecoveryDelay: 50 * time.Millisecond,
				ReconnectRetry: client.RetryOptions{RetryDelay: 50 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			ev := record(t, c)
			first := start(t, c, ev)
			if _, err := c.JoinGroup(ctx, "rejoined", nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.JoinGroup(ctx, "not-rejoined", &client.JoinGroupOptions{NoAutoRejoin: true}); err != nil {
				t.Fatal(err)
			}
			tt.end(t, e, first.ConnectionID)
			dis := next(t, ev.disconnected, "disconnected")
			if dis.ConnectionID != first.ConnectionID || dis.Err == nil {
				t.Errorf("disconnected = %+v, want connection %s with an error", dis, first.ConnectionID)
			}
			second := next(t, ev.connected, "connected after reconnect")
			if second.ConnectionID == first.ConnectionID || second.UserID != "gina" {
				t.Errorf("reconnected as %+v, want a new connection of gina", second)
			}
			if n := urls.Load(); n != 2 {
				t.Errorf("URLFunc called %d times, want 2 (start, reconnect)", n)
			}
			for _, g := range []string{"not-rejoined", "rejoined"} {
				if _, err := e.svc.SendToGroup(ctx, g, service.Text(g), nil); err != nil {
					t.Fatal(err)
				}
			}
			if got := next(t, ev.group, "group message"); got.Group != "rejoined" {
				t.Errorf("after reconnect got a message of %q, want only rejoined", got.Group)
			}
			none(t, ev.rejoinFailed, "rejoin failed")
		})
	}
}

// TestRejoinFailed: a group joined with a role granted at runtime cannot be rejoined by a new
// connection whose token lacks the role.
func TestRejoinFailed(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	c, ev := newClient(t, e.url(t, "hank"), &client.Options{ReconnectRetry: client.RetryOptions{RetryDelay: 50 * time.Millisecond}})
	first := start(t, c, ev)
	if _, err := e.svc.GrantPermission(ctx, service.PermissionJoinLeaveGroup, first.ConnectionID, "vip", nil); err != nil {
		t.Fatalf("GrantPermission: %v", err)
	}
	if _, err := c.JoinGroup(ctx, "vip", nil); err != nil {
		t.Fatalf("JoinGroup with granted role: %v", err)
	}
	// Closed by the service: not recoverable, so a new connection follows.
	if _, err := e.svc.CloseConnection(ctx, first.ConnectionID, nil); err != nil {
		t.Fatal(err)
	}
	failed := next(t, ev.rejoinFailed, "rejoin failed")
	var ae *client.AckError
	if failed.Group != "vip" || !errors.As(failed.Err, &ae) || ae.Name != client.AckErrorForbidden {
		t.Errorf("rejoin failed = %+v, want vip Forbidden", failed)
	}
	next(t, ev.connected, "connected after reconnect")
}

// TestLostAckResent holds an event's upstream call, drops the connection, then lets it answer:
// the client resends with the same ack id after recovery, the service does not run it twice,
// and SendEvent succeeds.
func TestLostAckResent(t *testing.T) {
	e := newEnv(t, nil)
	c, ev := newClient(t, e.url(t, "ivy"), &client.Options{RecoveryDelay: 50 * time.Millisecond})
	conn := start(t, c, ev)
	done := make(chan error, 1)
	go func() {
		_, err := c.SendEvent(t.Context(), "slow", client.Text("once"), nil)
		done <- err
	}()
	next(t, e.upstream.got, "upstream request")
	if err := e.emu.DropConnection(testHub, conn.ConnectionID); err != nil {
		t.Fatal(err)
	}
	e.upstream.unblock()
	if err := next(t, done, "SendEvent return"); err != nil {
		t.Fatalf("SendEvent across a drop = %v", err)
	}
	if n := e.upstream.count("slow"); n != 1 {
		t.Errorf("upstream got the event %d times, want 1", n)
	}
}

// TestStopDuringReconnect stops a client that is retrying a new connection against a URL that
// refuses it: Stop returns, OnStopped runs last, and no goroutine of the client survives.
func TestStopDuringReconnect(t *testing.T) {
	e := newEnv(t, nil)
	var calls atomic.Int64
	good := e.url(t, "jack")
	c, err := client.NewWithURLFunc(func(context.Context) (string, error) {
		if calls.Add(1) == 1 {
			return good, nil
		}
		return e.srv.URL + "/client/hubs/" + testHub + "?access_token=expired", nil
	}, &client.Options{ReconnectRetry: client.RetryOptions{RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ev := record(t, c)
	conn := start(t, c, ev)
	// Closed by the service: not recoverable, so the client reconnects (and is refused).
	if _, err := e.svc.CloseConnection(t.Context(), conn.ConnectionID, nil); err != nil {
		t.Fatal(err)
	}
	next(t, ev.disconnected, "disconnected")
	for calls.Load() < 4 { // reconnecting: several refused attempts
		runtimeYield()
	}
	pending := make(chan error, 1)
	go func() {
		_, err := c.JoinGroup(context.Background(), "g", nil)
		pending <- err
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop during reconnect: %v", err)
	}
	if st := next(t, ev.stopped, "stopped"); st.Err != nil {
		t.Errorf("stopped after Stop with error %v, want nil", st.Err)
	}
	if err := next(t, pending, "pending JoinGroup"); !errors.Is(err, client.ErrStopped) && !errors.Is(err, client.ErrNotStarted) {
		t.Errorf("JoinGroup waiting during Stop = %v, want ErrStopped", err)
	}
	none(t, ev.connected, "connected")
	noClientGoroutines(t)
}

// TestStopAndRestart stops a connected client cleanly and starts it again.
func TestStopAndRestart(t *testing.T) {
	e := newEnv(t, nil)
	c, ev := newClient(t, e.url(t, "kim"), nil)
	first := start(t, c, ev)
	if err := c.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := next(t, ev.disconnected, "disconnected"); d.ConnectionID != first.ConnectionID || d.Err != nil {
		t.Errorf("disconnected after Stop = %+v, want %s without error", d, first.ConnectionID)
	}
	next(t, ev.stopped, "stopped")
	noClientGoroutines(t)
	if _, err := c.SendEvent(t.Context(), "echo", client.Text("x"), nil); !errors.Is(err, client.ErrNotStarted) {
		t.Errorf("SendEvent after Stop = %v, want ErrNotStarted", err)
	}
	second := start(t, c, ev)
	if second.ConnectionID == first.ConnectionID {
		t.Errorf("restart reused connection %s", first.ConnectionID)
	}
}

// TestNoAutoReconnect: with reconnecting disabled a lost connection stops the client.
func TestNoAutoReconnect(t *testing.T) {
	e := newEnv(t, nil)
	c, ev := newClient(t, e.url(t, "lee"), &client.Options{Protocol: client.ProtocolJSON, DisableAutoReconnect: true})
	conn := start(t, c, ev)
	if err := e.emu.DropConnection(testHub, conn.ConnectionID); err != nil {
		t.Fatal(err)
	}
	next(t, ev.disconnected, "disconnected")
	if st := next(t, ev.stopped, "stopped"); !errors.Is(st.Err, client.ErrConnectionLost) {
		t.Errorf("stopped with %v, want ErrConnectionLost", st.Err)
	}
	noClientGoroutines(t)
}

func TestDisconnectedMessage(t *testing.T) {
	e := newEnv(t, nil)
	c, ev := newClient(t, e.url(t, "mo"), &client.Options{DisableAutoReconnect: true})
	conn := start(t, c, ev)
	if _, err := e.svc.CloseConnection(t.Context(), conn.ConnectionID, &service.CloseConnectionOptions{Reason: "bye now"}); err != nil {
		t.Fatal(err)
	}
	if d := next(t, ev.disconnected, "disconnected"); d.Message != "bye now" {
		t.Errorf("disconnected message = %q, want %q", d.Message, "bye now")
	}
	next(t, ev.stopped, "stopped")
}

func runtimeYield() { time.Sleep(5 * time.Millisecond) }

// TestReadLimit: a message over Options.ReadLimit ends the connection without recovery (the
// service would redeliver it); the client reconnects and later messages arrive.
func TestReadLimit(t *testing.T) {
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			e := newEnv(t, nil)
			ctx := t.Context()
			c, ev := newClient(t, e.url(t, "nina"), &client.Options{Protocol: p, ReadLimit: 1024,
				ReconnectRetry: client.RetryOptions{RetryDelay: 20 * time.Millisecond}})
			first := start(t, c, ev)
			if _, err := e.svc.SendToConnection(ctx, first.ConnectionID, service.Text(strings.Repeat("x", 2048)), nil); err != nil {
				t.Fatal(err)
			}
			d := next(t, ev.disconnected, "disconnected")
			if !errors.Is(d.Err, websocket.ErrMessageTooBig) {
				t.Errorf("disconnected with %v, want ErrMessageTooBig", d.Err)
			}
			second := next(t, ev.connected, "connected after the oversized message")
			if _, err := e.svc.SendToConnection(ctx, second.ConnectionID, service.Text("small"), nil); err != nil {
				t.Fatal(err)
			}
			if got := next(t, ev.server, "server message"); got.Data.Text() != "small" {
				t.Errorf("after reconnect got %v, want small", got.Data)
			}
		})
	}
}

// TestKeepAliveTimeout: with pings disabled and a short keep-alive timeout, a quiet connection
// is closed by the client and replaced; with pings on, the pongs keep it open.
func TestKeepAliveTimeout(t *testing.T) {
	e := newEnv(t, nil)
	c, ev := newClient(t, e.url(t, "otto"), &client.Options{Protocol: client.ProtocolJSON,
		KeepAliveInterval: -1, KeepAliveTimeout: 300 * time.Millisecond,
		ReconnectRetry: client.RetryOptions{RetryDelay: 20 * time.Millisecond}})
	first := start(t, c, ev)
	d := next(t, ev.disconnected, "disconnected by keep-alive timeout")
	if d.ConnectionID != first.ConnectionID || d.Err == nil || !strings.Contains(d.Err.Error(), "keep-alive timeout") {
		t.Errorf("disconnected = %+v, want the keep-alive timeout of %s", d, first.ConnectionID)
	}
	next(t, ev.connected, "connected after keep-alive timeout")

	kept, kev := newClient(t, e.url(t, "otto"), &client.Options{Protocol: client.ProtocolJSON,
		KeepAliveInterval: 50 * time.Millisecond, KeepAliveTimeout: 300 * time.Millisecond})
	start(t, kept, kev)
	// Absence over a period can only be checked by waiting: 4 timeouts long.
	time.Sleep(1200 * time.Millisecond)
	none(t, kev.disconnected, "disconnected despite pongs")
}

// TestStopFromHandler: a handler func may stop its client (no deadlock); OnStopped follows.
func TestStopFromHandler(t *testing.T) {
	e := newEnv(t, nil)
	c, err := client.New(e.url(t, "pat"), nil)
	if err != nil {
		t.Fatal(err)
	}
	stopErr := make(chan error, 1)
	c.OnServerMessage(func(ctx context.Context, ev *client.ServerMessageEvent) {
		if ev.Data.Text() == "quit" {
			stopErr <- c.Stop(ctx)
		}
	})
	ev := record(t, c)
	conn := start(t, c, ev)
	if _, err := e.svc.SendToConnection(t.Context(), conn.ConnectionID, service.Text("quit"), nil); err != nil {
		t.Fatal(err)
	}
	if err := next(t, stopErr, "Stop from handler"); err != nil {
		t.Errorf("Stop from a handler = %v", err)
	}
	next(t, ev.stopped, "stopped")
	noClientGoroutines(t)
}

// TestStopDuringRecovery stops a client that is trying to recover a reliable connection from
// a service that has gone away.
func TestStopDuringRecovery(t *testing.T) {
	e := newEnv(t, nil)
	failed := make(chan struct{}, 100)
	logger := slog.New(&signalHandler{msg: "webpubsub client: recovery attempt failed", ch: failed})
	c, ev := newClient(t, e.url(t, "quinn"), &client.Options{RecoveryDelay: 10 * time.Millisecond, Logger: logger})
	conn := start(t, c, ev)
	e.srv.Listener.Close() // recovery attempts will fail: connection refused
	if err := e.emu.DropConnection(testHub, conn.ConnectionID); err != nil {
		t.Fatal(err)
	}
	next(t, failed, "failed recovery attempt")
	done := make(chan error, 1)
	go func() {
		_, err := c.SendEvent(context.Background(), "echo", client.Text("x"), nil)
		done <- err
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop during recovery: %v", err)
	}
	next(t, ev.stopped, "stopped")
	if err := next(t, done, "SendEvent"); !errors.Is(err, client.ErrStopped) && !errors.Is(err, client.ErrNotStarted) {
		t.Errorf("SendEvent pending during Stop = %v, want ErrStopped", err)
	}
	noClientGoroutines(t)
}

// signalHandler is a slog.Handler that signals ch for every record with message msg.
type signalHandler struct {
	msg string
	ch  chan struct{}
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *signalHandler) WithGroup(string) slog.Handler      { return h }

// TestHandlerCallsOperationWithFullQueue: with a tiny MaxPendingEvents, handler funcs that
// wait for acks while more messages arrive neither deadlock nor lose or reorder messages.
func TestHandlerCallsOperationWithFullQueue(t *testing.T) {
	const total = 50
	e := newEnv(t, nil)
	c, err := client.New(e.url(t, "rita", "webpubsub.sendToGroup"), &client.Options{MaxPendingEvents: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, total)
	c.OnServerMessage(func(ctx context.Context, ev *client.ServerMessageEvent) {
		if _, err := c.SendToGroup(ctx, "nobody", ev.Data, nil); err != nil {
			t.Errorf("SendToGroup from a handler: %v", err)
		}
		got <- ev.Data.Text()
	})
	ev := record(t, c)
	conn := start(t, c, ev)
	for i := range total {
		if _, err := e.svc.SendToConnection(t.Context(), conn.ConnectionID, service.Text(fmt.Sprint(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range total {
		if s := next(t, got, "handled message"); s != fmt.Sprint(i) {
			t.Fatalf("message %d handled as %q", i, s)
		}
	}
}

// TestHeaderToken connects with the token in an Authorization header instead of the URL.
func TestHeaderToken(t *testing.T) {
	e := newEnv(t, nil)
	tok, err := e.svc.ClientAccessToken(t.Context(), &service.ClientAccessTokenOptions{UserID: "sam"})
	if err != nil {
		t.Fatal(err)
	}
	c, ev := newClient(t, tok.BaseURL, &client.Options{Header: http.Header{"Authorization": {"Bearer " + tok.Token}}})
	if conn := start(t, c, ev); conn.UserID != "sam" {
		t.Errorf("connected as %q, want sam", conn.UserID)
	}
}
