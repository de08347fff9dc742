package handler_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/handler/handlertest"
	"github.com/webpubsub-go/webpubsub/internal/wire"
)

func TestAbuseProtection(t *testing.T) {
	azure := "Endpoint=https://contoso.webpubsub.azure.com;AccessKey=k;Version=1.0;"
	tests := []struct {
		name       string
		opts       *handler.Options
		origins    []string // WebHook-Request-Origin header lines; nil sends none
		wantStatus int
		wantAllow  []string
		wantErr    error
	}{
		{"own host with port", nil, []string{"127.0.0.1:7071"}, 200, []string{"127.0.0.1:7071"}, nil},
		{"own host without port", nil, []string{"127.0.0.1"}, 200, []string{"127.0.0.1"}, nil},
		{"other port", nil, []string{"127.0.0.1:9999"}, 400, nil, handler.ErrOriginNotAllowed},
		{"azure host, case-insensitive", &handler.Options{ConnectionStrings: []string{azure}}, []string{"Contoso.WebPubSub.Azure.com"}, 200, []string{"Contoso.WebPubSub.Azure.com"}, nil},
		{"azure host with default port in origin", &handler.Options{ConnectionStrings: []string{azure}}, []string{"contoso.webpubsub.azure.com:443"}, 200, []string{"contoso.webpubsub.azure.com:443"}, nil},
		{"prefix attack", &handler.Options{ConnectionStrings: []string{azure}}, []string{"contoso.webpubsub.azure.com.evil.example"}, 400, nil, handler.ErrOriginNotAllowed},
		{"suffix attack", &handler.Options{ConnectionStrings: []string{azure}}, []string{"evilcontoso.webpubsub.azure.com"}, 400, nil, handler.ErrOriginNotAllowed},
		{"list with replica", &handler.Options{ConnectionStrings: []string{azure}}, []string{"replica.example, contoso.webpubsub.azure.com"}, 200, []string{"contoso.webpubsub.azure.com"}, nil},
		{"repeated header lines", &handler.Options{ConnectionStrings: []string{azure}}, []string{"other.example", "contoso.webpubsub.azure.com"}, 200, []string{"contoso.webpubsub.azure.com"}, nil},
		{"two connection strings", &handler.Options{ConnectionStrings: []string{handlertest.ConnectionString, azure}}, []string{"contoso.webpubsub.azure.com 127.0.0.1:7071"}, 200, []string{"contoso.webpubsub.azure.com", "127.0.0.1:7071"}, nil},
		{"allowed origins replace the default", &handler.Options{AllowedOrigins: []string{"https://custom.example/path"}}, []string{"custom.example"}, 200, []string{"custom.example"}, nil},
		{"allowed origins exclude connection-string hosts", &handler.Options{AllowedOrigins: []string{"custom.example"}}, []string{"127.0.0.1:7071"}, 400, nil, handler.ErrOriginNotAllowed},
		{"any origin", &handler.Options{AllowAnyOrigin: true}, []string{"anything.example"}, 200, []string{"*"}, nil},
		{"missing origin", nil, nil, 400, nil, handler.ErrMissingOrigin},
		{"blank origin", nil, []string{" , "}, 400, nil, handler.ErrMissingOrigin},
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
			r := handlertest.Validate("chat", "x")
			r.Header.Del(wire.HeaderRequestOrigin)
			for _, o := range tt.origins {
				r.Header.Add(wire.HeaderRequestOrigin, o)
			}
			_, err := hub.CheckOrigin(r)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("CheckOrigin error = %v, want %v", err, tt.wantErr)
			}
			rec := serve(hub, r)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%q)", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Values(wire.HeaderAllowedOrigin); !reflect.DeepEqual(got, tt.wantAllow) {
				t.Errorf("WebHook-Allowed-Origin = %q, want %q", got, tt.wantAllow)
			}
			if tt.wantStatus != 200 {
				if !strings.Contains(strings.ToLower(rec.Body.String()), "origin") || !strings.Contains(logs.String(), "handshake refused") {
					t.Errorf("refusal not explained: body %q, log %q", rec.Body, logs.String())
				}
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	hub := newHub(t, nil)
	r := handlertest.Connected("chat", nil)
	r.Method = http.MethodGet
	rec := serve(hub, r)
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "OPTIONS, POST" {
		t.Fatalf("GET: %d Allow=%q", rec.Code, rec.Header().Get("Allow"))
	}
}
