package handler_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// trackingBody records whether the hub read the body.
type trackingBody struct {
	io.Reader
	read atomic.Bool
}

func (b *trackingBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.Reader.Read(p)
}

func (b *trackingBody) Close() error { return nil }

func TestSignature(t *testing.T) {
	second := "Endpoint=http://10.1.2.3:8080;AccessKey=second-key;Version=1.0;"
	tests := []struct {
		name       string
		opts       *handler.Options
		req        *handlertest.Options
		wantStatus int
	}{
		{"valid", nil, nil, http.StatusOK},
		{"missing", nil, &handlertest.Options{Unsigned: true}, http.StatusUnauthorized},
		{"wrong key", nil, &handlertest.Options{Keys: []string{"wrong"}}, http.StatusUnauthorized},
		{"signed for another connection", nil, &handlertest.Options{Header: http.Header{wire.HeaderSignature: {wire.Sign("other", handlertest.AccessKey)}}}, http.StatusUnauthorized},
		{"upper-case hex", nil, &handlertest.Options{Header: http.Header{wire.HeaderSignature: {strings.ToUpper(wire.Sign(handlertest.ConnectionID, handlertest.AccessKey))}}}, http.StatusOK},
		{"valid among several entries", nil, &handlertest.Options{Keys: []string{"wrong", handlertest.AccessKey}}, http.StatusOK},
		{"second connection string's key", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString, second}}, &handlertest.Options{Keys: []string{"second-key"}}, http.StatusOK},
		{"key from key source", &handler.Options{Keys: handler.NewKeyRing("ring-key"), AllowAnyOrigin: true}, &handlertest.Options{Keys: []string{"ring-key"}}, http.StatusOK},
		{"empty key source fails closed", &handler.Options{Keys: handler.NewKeyRing(), AllowAnyOrigin: true}, nil, http.StatusUnauthorized},
		{"missing connection id", nil, &handlertest.Options{Header: http.Header{wire.HeaderConnectionID: {""}}}, http.StatusUnauthorized},
		{"insecure opt-out accepts unsigned", &handler.Options{InsecureSkipSignatureValidation: true, AllowAnyOrigin: true}, &handlertest.Options{Unsigned: true}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			opts := tt.opts
			if opts == nil {
				opts = &handler.Options{}
			}
			opts.Logger = logs.logger()
			hub := newHub(t, opts)
			called := false
			hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
				called = true
				return handler.TextResponse("ok"), nil
			})
			r := handlertest.Message("chat", "hello", tt.req)
			body := &trackingBody{Reader: r.Body}
			r.Body = body
			rec := serve(hub, r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == http.StatusUnauthorized {
				if called || body.read.Load() {
					t.Errorf("func called = %v, body read = %v; want neither before a valid signature", called, body.read.Load())
				}
				if !strings.Contains(rec.Body.String(), "ce-signature") || !strings.Contains(logs.String(), "level=WARN") {
					t.Errorf("body %q / log %q do not say why", rec.Body, logs.String())
				}
			} else if !called {
				t.Error("func not called")
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	ring := handler.NewKeyRing("old")
	hub := newHub(t, &handler.Options{Keys: ring, AllowAnyOrigin: true})
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return nil, nil
	})
	send := func(key string) int {
		return serve(hub, handlertest.Message("chat", "x", &handlertest.Options{Keys: []string{key}})).Code
	}
	steps := []struct {
		name       string
		keys       []string
		signedWith string
		want       int
	}{
		{"old key before rotation", nil, "old", http.StatusNoContent},
		{"new key unknown yet", nil, "new", http.StatusUnauthorized},
		{"both during rotation: old", []string{"old", "new"}, "old", http.StatusNoContent},
		{"both during rotation: new", []string{"old", "new"}, "new", http.StatusNoContent},
		{"old key removed (cached verification dropped)", []string{"new"}, "old", http.StatusUnauthorized},
		{"new key after rotation", []string{"new"}, "new", http.StatusNoContent},
	}
	for _, s := range steps {
		if s.keys != nil {
			ring.Set(s.keys...)
		}
		if got := send(s.signedWith); got != s.want {
			t.Errorf("%s: status = %d, want %d", s.name, got, s.want)
		}
	}
	if got := ring.LogValue().String(); got != "1" {
		t.Errorf("LogValue = %q, want the key count only", got)
	}
}

func TestCheckSignature(t *testing.T) {
	hub := newHub(t, nil)
	if err := hub.CheckSignature(handlertest.Connected("chat", nil)); err != nil {
		t.Errorf("CheckSignature(valid) = %v", err)
	}
	if err := hub.CheckSignature(handlertest.Connected("chat", &handlertest.Options{Unsigned: true})); !errors.Is(err, handler.ErrInvalidSignature) {
		t.Errorf("CheckSignature(unsigned) = %v, want ErrInvalidSignature", err)
	}
}

// TestConcurrentServeAndRotate serves signed events from several goroutines while the key
// ring changes; the key the requests use stays configured, so every answer must be 204.
func TestConcurrentServeAndRotate(t *testing.T) {
	ring := handler.NewKeyRing("stable")
	hub := newHub(t, &handler.Options{Keys: ring, AllowAnyOrigin: true})
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return nil, ev.State.Set("n", len(ev.Data))
	})
	const workers, perWorker = 4, 200
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range perWorker {
			ring.Set("stable", "other-"+string(rune('a'+i%26)))
		}
	}()
	errs := make(chan string, workers*perWorker)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				conn := "c" + string(rune('a'+w)) + string(rune('a'+i%7))
				rec := serve(hub, handlertest.Message("chat", "x", &handlertest.Options{ConnectionID: conn, Keys: []string{"stable"}}))
				if rec.Code != http.StatusNoContent {
					errs <- rec.Body.String()
				}
			}
		})
	}
	wg.Wait()
	<-done
	close(errs)
	for e := range errs {
		t.Fatalf("unexpected answer: %s", e)
	}
}
