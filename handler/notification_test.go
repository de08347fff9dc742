package handler_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

func TestNotificationsDecode(t *testing.T) {
	state := handlertest.State(map[string]any{"room": "lobby"})
	mqttDisc := &handler.MQTTDisconnectedProperties{InitiatedByClient: true, DisconnectPacket: &handler.MQTTDisconnectPacket{Code: 4, UserProperties: []handler.MQTTUserProperty{{Name: "a", Value: "b"}}}}
	tests := []struct {
		name  string
		req   *http.Request
		check func(t *testing.T, got any)
	}{
		{"connected", handlertest.Connected("chat", &handlertest.Options{UserID: "u1", Subprotocol: "json.webpubsub.azure.v1", State: state}), func(t *testing.T, got any) {
			ev := got.(*handler.ConnectedEvent)
			room, err := handler.StateAs[string](&ev.State, "room")
			if ev.EventName != "connected" || ev.Type != handler.EventTypeConnected || ev.UserID != "u1" || ev.Subprotocol != "json.webpubsub.azure.v1" || room != "lobby" || err != nil {
				t.Errorf("ConnectedEvent = %+v, room %q %v", ev.ConnectionContext, room, err)
			}
		}},
		{"MQTT connected has session id", handlertest.Connected("chat", &handlertest.Options{MQTT: &handlertest.MQTT{PhysicalConnectionID: "p", SessionID: "s"}}), func(t *testing.T, got any) {
			ev := got.(*handler.ConnectedEvent)
			if ev.ClientProtocol != handler.ClientProtocolMQTT || *ev.MQTT != (handler.MQTTContext{PhysicalConnectionID: "p", SessionID: "s"}) {
				t.Errorf("MQTT = %v %+v", ev.ClientProtocol, ev.MQTT)
			}
		}},
		{"disconnected with reason", handlertest.Disconnected("chat", &handlertest.DisconnectedBody{Reason: "idle timeout"}, nil), func(t *testing.T, got any) {
			ev := got.(*handler.DisconnectedEvent)
			if ev.Reason != "idle timeout" || ev.MQTTDisconnect != nil || ev.EventName != "disconnected" {
				t.Errorf("DisconnectedEvent = %+v", ev)
			}
		}},
		{"disconnected normal close", handlertest.Disconnected("chat", nil, nil), func(t *testing.T, got any) {
			if ev := got.(*handler.DisconnectedEvent); ev.Reason != "" {
				t.Errorf("Reason = %q", ev.Reason)
			}
		}},
		{"MQTT disconnected", handlertest.Disconnected("chat", &handlertest.DisconnectedBody{MQTT: mqttDisc}, &handlertest.Options{MQTT: &handlertest.MQTT{}}), func(t *testing.T, got any) {
			if ev := got.(*handler.DisconnectedEvent); !reflect.DeepEqual(ev.MQTTDisconnect, mqttDisc) {
				t.Errorf("MQTTDisconnect = %+v, want %+v", ev.MQTTDisconnect, mqttDisc)
			}
		}},
		{"joined", handlertest.GroupJoined("chat", "lobby", nil), func(t *testing.T, got any) {
			if ev := got.(*handler.GroupEvent); ev.Group != "lobby" || ev.EventName != "joined" || ev.Type != handler.EventTypeJoined {
				t.Errorf("GroupEvent = %+v", ev)
			}
		}},
		{"left", handlertest.GroupLeft("chat", "lobby", nil), func(t *testing.T, got any) {
			if ev := got.(*handler.GroupEvent); ev.Group != "lobby" || ev.EventName != "left" || ev.Type != handler.EventTypeLeft {
				t.Errorf("GroupEvent = %+v", ev)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHub(t, nil)
			var got any
			hub.OnConnected(func(ctx context.Context, ev *handler.ConnectedEvent) error { got = ev; return nil })
			hub.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error { got = ev; return nil })
			hub.OnGroupJoined(func(ctx context.Context, ev *handler.GroupEvent) error { got = ev; return nil })
			hub.OnGroupLeft(func(ctx context.Context, ev *handler.GroupEvent) error { got = ev; return nil })
			rec := serve(hub, tt.req)
			checkResponse(t, rec, 200, "", "")
			if got == nil {
				t.Fatal("func not called")
			}
			tt.check(t, got)
		})
	}
}

func TestNotificationsWithoutFunc(t *testing.T) {
	for _, r := range []*http.Request{
		handlertest.Connected("chat", nil),
		handlertest.Disconnected("chat", nil, nil),
		handlertest.GroupJoined("chat", "g", nil),
		handlertest.GroupLeft("chat", "g", nil),
	} {
		t.Run(r.Header.Get("ce-eventName"), func(t *testing.T) {
			checkResponse(t, serve(newHub(t, nil), r), 200, "", "")
		})
	}
}

func TestNotificationFailures(t *testing.T) {
	sentinel := errors.New("store unavailable")
	tests := []struct {
		name    string
		fn      handler.ConnectedFunc
		timeout time.Duration
		wantErr func(error) bool
	}{
		{"error", func(ctx context.Context, ev *handler.ConnectedEvent) error { return sentinel },
			0, func(err error) bool { return errors.Is(err, sentinel) }},
		{"typed error", func(ctx context.Context, ev *handler.ConnectedEvent) error { return handler.BadRequest("x") },
			0, func(err error) bool { _, ok := errors.AsType[*handler.Error](err); return ok }},
		{"panic", func(ctx context.Context, ev *handler.ConnectedEvent) error { panic("boom") },
			0, func(err error) bool { _, ok := errors.AsType[*handler.PanicError](err); return ok }},
		{"deadline", func(ctx context.Context, ev *handler.ConnectedEvent) error {
			<-ctx.Done()
			return nil
		}, time.Minute, func(err error) bool {
			return errors.Is(err, context.DeadlineExceeded) && strings.Contains(err.Error(), "deadline")
		}},
	}
	for _, tt := range tests {
		// In a synctest bubble, so the deadline case waits on fake time.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs logBuffer
				var hooked []error
				var hookedEv *handler.ConnectionContext
				hub := newHub(t, &handler.Options{Logger: logs.logger(), NotificationTimeout: tt.timeout,
					OnError: func(ctx context.Context, ev *handler.ConnectionContext, err error) {
						hooked = append(hooked, err)
						hookedEv = ev
					}})
				hub.OnConnected(tt.fn)
				rec := serve(hub, handlertest.Connected("chat", &handlertest.Options{ConnectionID: "c9"}))
				checkResponse(t, rec, 500, "text/plain; charset=utf-8", "Internal Server Error")
				if len(hooked) != 1 || !tt.wantErr(hooked[0]) || hookedEv.ConnectionID != "c9" {
					t.Fatalf("OnError got %v for %+v", hooked, hookedEv)
				}
				if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "connectionId=c9") {
					t.Errorf("log = %q", logs.String())
				}
			})
		})
	}
}

func TestNotificationOutlivesServiceHangUp(t *testing.T) {
	hub := newHub(t, nil)
	var ctxErr error
	var deadline bool
	hub.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error {
		ctxErr = ctx.Err()
		_, deadline = ctx.Deadline()
		return nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the service already hung up
	rec := serve(hub, handlertest.Disconnected("chat", nil, &handlertest.Options{Context: ctx}))
	if rec.Code != 200 || ctxErr != nil || !deadline {
		t.Fatalf("status %d, ctx err %v, deadline %v; want a live context with a deadline", rec.Code, ctxErr, deadline)
	}
}

func TestBlockingContextFollowsRequest(t *testing.T) {
	hub := newHub(t, nil)
	var ctxErr error
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		ctxErr = ctx.Err()
		return nil, ctx.Err()
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec := serve(hub, handlertest.Message("chat", "x", &handlertest.Options{Context: ctx}))
	if !errors.Is(ctxErr, context.Canceled) || rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("ctx err %v, status %d; want canceled, 503", ctxErr, rec.Code)
	}
}

// TestNotificationDeadline runs in a synctest bubble: the func blocks until its context
// ends, which must happen exactly at the configured (or default) deadline.
func TestNotificationDeadline(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"default", 0, handler.DefaultNotificationTimeout},
		{"configured", 5 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var hooked error
				hub := newHub(t, &handler.Options{NotificationTimeout: tt.timeout,
					OnError: func(ctx context.Context, ev *handler.ConnectionContext, err error) { hooked = err }})
				var waited time.Duration
				hub.OnDisconnected(func(ctx context.Context, ev *handler.DisconnectedEvent) error {
					start := time.Now()
					<-ctx.Done()
					waited = time.Since(start)
					return ctx.Err()
				})
				rec := serve(hub, handlertest.Disconnected("chat", nil, nil))
				if rec.Code != 500 || waited != tt.want || !errors.Is(hooked, context.DeadlineExceeded) {
					t.Fatalf("status %d, waited %v (want %v), OnError %v", rec.Code, waited, tt.want, hooked)
				}
			})
		})
	}
}
