package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// scriptedService is a minimal client endpoint for what the emulator never does: it answers
// the first attempt of every request with the ack error named first (as the service may, per
// client-protocol.md §3.3) and records the ack ids it saw.
type scriptedService struct {
	first string        // error name of the first ack
	seen  chan []uint64 // ack ids of the frames received, sent after the second frame
}

func (s *scriptedService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{wire.SubprotocolJSONReliable}})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := r.Context()
	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"type":"system","event":"connected","connectionId":"c1","userId":"u1","reconnectionToken":"t"}`))
	var ids []uint64
	for {
		_, p, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var f struct {
			Type  string `json:"type"`
			AckID uint64 `json:"ackId"`
		}
		if json.Unmarshal(p, &f) != nil || f.AckID == 0 {
			continue // ping, sequenceAck
		}
		ids = append(ids, f.AckID)
		ack := `{"type":"ack","ackId":` + jsonNumber(f.AckID) + `,"success":true}`
		if len(ids) == 1 {
			ack = `{"type":"ack","ackId":` + jsonNumber(f.AckID) + `,"success":false,"error":{"name":"` + s.first + `","message":"scripted"}}`
		}
		_ = ws.Write(ctx, websocket.MessageText, []byte(ack))
		if len(ids) == 2 {
			s.seen <- ids
		}
	}
}

func jsonNumber(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// TestTransientAckErrorRetried: InternalServerError is retried with the same ack id and then
// succeeds; Forbidden is returned at once, never retried.
func TestTransientAckErrorRetried(t *testing.T) {
	tests := []struct {
		first     string
		wantErr   bool
		wantRetry bool
	}{
		{client.AckErrorInternalServerError, false, true},
		{client.AckErrorTimeout, false, true},
		{client.AckErrorForbidden, true, false},
		{"SomethingNew", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.first, func(t *testing.T) {
			svc := &scriptedService{first: tt.first, seen: make(chan []uint64, 1)}
			srv := httptest.NewServer(svc)
			defer srv.Close()
			c, err := client.New("ws"+strings.TrimPrefix(srv.URL, "http")+"/client/hubs/h",
				&client.Options{MessageRetry: client.RetryOptions{RetryDelay: time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			defer c.Stop(context.Background())
			res, err := c.JoinGroup(t.Context(), "g", nil)
			var ae *client.AckError
			switch {
			case tt.wantErr && (!errors.As(err, &ae) || ae.Name != tt.first || ae.Message != "scripted"):
				t.Fatalf("JoinGroup = %v, want AckError %s", err, tt.first)
			case !tt.wantErr && err != nil:
				t.Fatalf("JoinGroup = %v, want success after a retry", err)
			}
			if !tt.wantRetry {
				return
			}
			ids := <-svc.seen
			if ids[0] != ids[1] || res.AckID != ids[0] {
				t.Errorf("ack ids sent %v, result %d: want the same id resent", ids, res.AckID)
			}
		})
	}
}
