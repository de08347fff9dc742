package handler_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

// TestLoopback sends events over real loopback HTTP to a hub mounted on net/http.
func TestLoopback(t *testing.T) {
	hub := newHub(t, nil)
	hub.HandleConnect(func(ctx context.Context, req *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		if err := req.State.Set("user", req.UserID); err != nil {
			return nil, err
		}
		return &handler.ConnectResponse{Roles: []string{"webpubsub.sendToGroup"}}, nil
	})
	hub.HandleEvent("telemetry", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		user, err := handler.StateAs[string](&ev.State, "user")
		if err != nil {
			return nil, err
		}
		return &handler.EventResponse{Data: []byte(user + ":" + ev.Text()), ContentType: "text/csv",
			MQTTUserProperties: []handler.MQTTUserProperty{{Name: "correlationKey", Value: ev.MQTTUserProperties[0].Value}}}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("/api/webpubsub/hubs/chat/", hub)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(r *http.Request) (*http.Response, string) {
		t.Helper()
		req, err := handlertest.ForClient(r, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := do(handlertest.Connect("chat", nil, &handlertest.Options{UserID: "ann"}))
	state := resp.Header.Get(handler.HeaderConnectionState)
	if resp.StatusCode != 200 || body != `{"roles":["webpubsub.sendToGroup"]}` || state != handlertest.State(map[string]any{"user": "ann"}) {
		t.Fatalf("connect: %d %q state %q", resp.StatusCode, body, state)
	}
	resp, body = do(handlertest.Event("chat", "telemetry", "text/csv", []byte("1,2"), &handlertest.Options{State: state,
		MQTT: &handlertest.MQTT{UserProperties: []handler.MQTTUserProperty{{Name: "correlationKey", Value: "42"}}}}))
	if resp.StatusCode != 200 || body != "ann:1,2" || resp.Header.Get("Content-Type") != "text/csv" {
		t.Fatalf("telemetry: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if got := resp.Header.Get("mqtt-correlationKey"); got != "42" {
		t.Errorf("mqtt-correlationKey = %q, want 42 (header %v)", got, resp.Header)
	}
	resp, _ = do(handlertest.Message("chat", "x", &handlertest.Options{Keys: []string{"wrong"}}))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad signature over HTTP: %d", resp.StatusCode)
	}
}

// TestReplyLength checks that every reply reaches the service with its exact
// Content-Length and never chunked, over loopback net/http, on both sides of net/http's
// 2 KiB response buffer (below which net/http would compute the length itself).
func TestReplyLength(t *testing.T) {
	hub := newHub(t, nil)
	hub.HandleEvent("size", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		n, err := strconv.Atoi(ev.Text())
		if err != nil {
			return nil, handler.BadRequest("not a size")
		}
		if n < 0 {
			return nil, nil
		}
		return handler.BinaryResponse(bytes.Repeat([]byte{'x'}, n)), nil
	})
	srv := httptest.NewServer(hub)
	defer srv.Close()
	for _, tc := range []struct {
		size       string
		wantStatus int
		wantLen    int64
	}{
		{"0", 200, 0},
		{"9", 200, 9},
		{"1024", 200, 1024},
		{"1025", 200, 1025},
		{"2048", 200, 2048},
		{"2049", 200, 2049},
		{"100000", 200, 100000},
		{"-1", 204, 0}, // no body
		{"bad", 400, int64(len("not a size"))},
	} {
		req, err := handlertest.ForClient(handlertest.Event("chat", "size", "text/plain", []byte(tc.size), nil), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.wantStatus || resp.ContentLength != tc.wantLen || len(resp.TransferEncoding) != 0 ||
			(tc.wantLen >= 0 && int64(len(b)) != tc.wantLen) {
			t.Errorf("size %s: status %d, Content-Length %d, Transfer-Encoding %v, %d bytes; want %d, %d, none",
				tc.size, resp.StatusCode, resp.ContentLength, resp.TransferEncoding, len(b), tc.wantStatus, tc.wantLen)
		}
	}
}
