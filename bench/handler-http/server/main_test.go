package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTargets checks that every Go target answers the benchmark's request as run.sh
// expects, so the load run measures working handlers.
func TestTargets(t *testing.T) {
	o, err := ours()
	if err != nil {
		t.Fatal(err)
	}
	rt, err := route()
	if err != nil {
		t.Fatal(err)
	}
	q, err := quiet()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		h        http.Handler
		wantBody string
		wantCT   string
		wantCode int
	}{
		{"bare", bare(), "", "", 200},
		{"ours", o, "bob:hello", "text/plain; charset=utf-8", 200},
		{"route", rt, "bob:hello", "text/plain; charset=utf-8", 200},
		{"reply", reply(), "bob:hello", "text/plain; charset=utf-8", 200},
		{"quiet", q, "", "", 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, request())
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody || rec.Header().Get("Content-Type") != tt.wantCT {
				t.Errorf("answer = %d %q %q, want %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body, tt.wantCode, tt.wantCT, tt.wantBody)
			}
		})
	}
}

// TestWriteLua checks the wrk scripts carry the signed request.
func TestWriteLua(t *testing.T) {
	dir := t.TempDir()
	if err := writeLua(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"event.lua", "check.lua"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`wrk.method = "POST"`, `wrk.body = "hello"`, `wrk.headers["Ce-Signature"] = "sha256=`, `wrk.headers["Ce-Connectionstate"]`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %s:\n%s", name, want, b)
			}
		}
	}
}
