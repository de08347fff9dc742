package emulator

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestStartContextEndDrains checks the shutdown order of a Server whose Start context ends:
// disconnected handlers that call the REST API succeed, handshakes during the drain get
// 503, and the listener is closed afterwards.
func TestStartContextEndDrains(t *testing.T) {
	type result struct {
		restErr         error
		handshakeStatus int
	}
	results := make(chan result, 4)
	var cl atomic.Pointer[service.Client]
	var wsURL atomic.Value
	up := newUpstream(t)
	up.setRespond(func(w http.ResponseWriter, ev event) {
		if ev.name() != "disconnected" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var r result
		_, r.restErr = cl.Load().SendToAll(ctx, service.Text("bye"), nil)
		_, resp, err := websocket.Dial(ctx, wsURL.Load().(string), nil)
		if err == nil {
			r.handshakeStatus = http.StatusSwitchingProtocols
		} else if resp != nil {
			r.handshakeStatus = resp.StatusCode
		}
		results <- r
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s, err := Start(ctx, &Config{AccessKey: testKey, Hubs: []service.HubSettings{
		{Hub: "chat", AllowAnonymous: true, EventHandlers: []service.EventHandler{up.handler()}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c, err := service.NewClientFromConnectionString(s.ConnectionString(), "chat",
		&service.ClientOptions{ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	cl.Store(c)
	wsURL.Store(clientURL(s, "chat", nil))
	clients := []*websocket.Conn{dial(t, clientURL(s, "chat", nil), protoJSONName), dial(t, clientURL(s, "chat", nil), protoJSONName)}
	up.next("connected")
	up.next("connected")

	cancel()
	for range clients {
		select {
		case r := <-results:
			if r.restErr != nil {
				t.Errorf("REST call from a disconnected handler during shutdown: %v", r.restErr)
			}
			if r.handshakeStatus != http.StatusServiceUnavailable {
				t.Errorf("handshake during shutdown: status %d, want 503", r.handshakeStatus)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no disconnected event after the Start context ended")
		}
	}
	for _, ws := range clients {
		var err error
		for err == nil {
			_, _, err = ws.Read(t.Context())
		}
		if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
			t.Errorf("client close: %v, want 1000", err)
		}
	}
	_ = s.Close() // waits for the shutdown the context started
	_, err = http.Get(s.URL() + "/api/health")
	var ne interface{ Timeout() bool }
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("health after Close: %v, want connection refused", err)
	}
}
