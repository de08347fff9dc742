package handler_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
)

func TestSmoke(t *testing.T) {
	hub, err := handler.NewHub("chat", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString}})
	if err != nil {
		t.Fatal(err)
	}
	hub.HandleEvent("message", func(ctx context.Context, ev *handler.UserEvent) (*handler.EventResponse, error) {
		return handler.TextResponse("echo " + ev.Text()), nil
	})
	rec := httptest.NewRecorder()
	hub.ServeHTTP(rec, handlertest.Message("chat", "hi", nil))
	if rec.Code != 200 || rec.Body.String() != "echo hi" {
		t.Fatalf("got %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
	rec = httptest.NewRecorder()
	hub.ServeHTTP(rec, handlertest.Validate("chat", ""))
	if rec.Code != 200 {
		t.Fatalf("validate: %d %q", rec.Code, rec.Body)
	}
	t.Log(rec.Header())
}
