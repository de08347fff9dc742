package emulator

import (
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// serveEmulator serves an Emulator for cfg (testKey) on an httptest server, with its clock
// shifted by *offset when offset is not nil. It returns a Server value usable with the
// helpers (token, clientURL, DropConnection).
func serveEmulator(t *testing.T, cfg Config, offset *atomic.Int64) *Server {
	t.Helper()
	cfg.AccessKey = testKey
	e, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if offset != nil {
		e.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	}
	ts := httptest.NewServer(e)
	t.Cleanup(ts.Close)
	t.Cleanup(e.Shutdown)
	return &Server{Emulator: e, url: ts.URL}
}

// TestRecoveryFollowsConfig checks that a recovery request succeeds exactly when the
// configuration allows it, whether or not the dropped WebSocket was detached yet.
func TestRecoveryFollowsConfig(t *testing.T) {
	tests := []struct {
		name    string
		window  time.Duration
		drop    bool          // DropConnection before recovering; false: the old socket still looks alive
		advance time.Duration // clock shift after the drop
		want    bool
	}{
		{"enabled, dropped", 0, true, 0, true},
		{"enabled, old socket still attached", 0, false, 0, true},
		{"enabled, just inside the window", 30 * time.Second, true, 29 * time.Second, true},
		{"disabled, dropped", -1, true, 0, false},
		{"disabled, old socket still attached", -1, false, 0, false},
		{"window passed before its timer ran", 30 * time.Second, true, 31 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var offset atomic.Int64
			s := serveEmulator(t, Config{RecoveryWindow: tt.window}, &offset)
			c, hello := connectJSON(t, s, "chat", protoReliableName, tokenOpts{sub: "u"})
			if tt.drop {
				if err := s.DropConnection("chat", hello.ConnectionID); err != nil {
					t.Fatal(err)
				}
			}
			offset.Store(int64(tt.advance))
			r := dial(t, clientURL(s, "chat", url.Values{
				"awps_connection_id":      {hello.ConnectionID},
				"awps_reconnection_token": {hello.ReconnectionToken},
			}), protoReliableName)
			if !tt.want {
				if _, _, err := r.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
					t.Fatalf("recovery read = %v, want close 1008", err)
				}
				if !tt.drop {
					// The refused recovery leaves the live connection alone.
					write(t, c, map[string]any{"type": "ping"})
					if m := read(t, c); m.Type != "pong" {
						t.Fatalf("old connection got %+v, want pong", m)
					}
				}
				return
			}
			m := read(t, r)
			if m.Type != "system" || m.Event != "connected" || m.ConnectionID != hello.ConnectionID {
				t.Fatalf("recovery got %+v, want connected for %s", m, hello.ConnectionID)
			}
			if !tt.drop {
				// The old WebSocket is replaced.
				if _, _, err := c.Read(t.Context()); err == nil {
					t.Fatal("old WebSocket still readable after the recovery")
				}
			}
		})
	}
}

// TestDropDetachesAtOnce checks that DropConnection leaves the connection detached (reliable:
// recoverable) or gone (recovery disabled, other protocols) when it returns.
func TestDropDetachesAtOnce(t *testing.T) {
	tests := []struct {
		name      string
		window    time.Duration
		proto     string
		wantAlive bool
	}{
		{"reliable, recovery enabled", 0, protoReliableName, true},
		{"reliable, recovery disabled", -1, protoReliableName, false},
		{"json", 0, protoJSONName, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := serveEmulator(t, Config{RecoveryWindow: tt.window}, nil)
			_, hello := connectJSON(t, s, "chat", tt.proto, tokenOpts{})
			if err := s.DropConnection("chat", hello.ConnectionID); err != nil {
				t.Fatal(err)
			}
			cn := s.hub("chat").lookup(hello.ConnectionID)
			if alive := cn != nil; alive != tt.wantAlive {
				t.Fatalf("connection registered after the drop = %v, want %v", alive, tt.wantAlive)
			}
			if cn != nil {
				cn.mu.Lock()
				detached, timer := cn.ws == nil, cn.recovery != nil
				cn.mu.Unlock()
				if !detached || !timer {
					t.Fatalf("after the drop: detached %v, recovery timer %v; want both", detached, timer)
				}
			}
			if err := s.DropConnection("chat", hello.ConnectionID); err == nil {
				t.Fatal("second DropConnection succeeded")
			}
		})
	}
}
