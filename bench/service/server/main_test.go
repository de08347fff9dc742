package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAccept(t *testing.T) {
	body := strings.NewReader("hello")
	rec := httptest.NewRecorder()
	accept(rec, httptest.NewRequest(http.MethodPost, "/api/hubs/hub1/:send?api-version=2024-12-01", body))
	if rec.Code != http.StatusAccepted || rec.Body.Len() != 0 {
		t.Fatalf("got %d %q, want 202 and no body", rec.Code, rec.Body)
	}
	if body.Len() != 0 {
		t.Fatalf("%d bytes of the request body left unread", body.Len())
	}
}
