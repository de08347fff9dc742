package handler_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newHub returns a hub named "chat" that trusts handlertest's connection string; opts may
// be nil or set other fields.
func newHub(t *testing.T, opts *handler.Options) *handler.Hub {
	t.Helper()
	if opts == nil {
		opts = &handler.Options{}
	}
	if opts.ConnectionStrings == nil && opts.Keys == nil && !opts.InsecureSkipSignatureValidation {
		opts.ConnectionStrings = []string{handlertest.ConnectionString}
	}
	hub, err := handler.NewHub("chat", opts)
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	return hub
}

func serve(hub http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	hub.ServeHTTP(rec, r)
	return rec
}

func checkResponse(t *testing.T, rec *httptest.ResponseRecorder, status int, contentType, body string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %q)", rec.Code, status, rec.Body.String())
	}
	if got := rec.Header().Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type = %q, want %q", got, contentType)
	}
	if got := rec.Body.String(); got != body {
		t.Errorf("body = %q, want %q", got, body)
	}
}
