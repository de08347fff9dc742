package service

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkRequestToken compares the access-key JWT for a request URL with the cache (the
// client's path) and without it (one HS256 signature per request).
// Results and the command: bench/service/RESULTS.md.
func BenchmarkRequestToken(b *testing.B) {
	aud := "https://contoso.webpubsub.azure.com/api/hubs/chat/:send?api-version=2024-12-01"
	b.Run("cached", func(b *testing.B) {
		s := newKeySigner(azcore.NewKeyCredential(testKey), time.Now)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.requestToken(aud); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		r := newKeyReader(azcore.NewKeyCredential(testKey))
		b.ReportAllocs()
		for b.Loop() {
			key, err := r.get()
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			if _, err := sign(key, jwt.MapClaims{"aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSendToAll compares one small SendToAll through the client (azcore pipeline,
// cached JWT, retry/telemetry/logging policies) with the same request sent with plain
// net/http (pre-built Authorization header) to the same loopback server.
func BenchmarkSendToAll(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	msg := "hello"
	ctx := context.Background()

	b.Run("client", func(b *testing.B) {
		c, err := NewClientFromConnectionString("Endpoint="+srv.URL+";AccessKey="+testKey, "hub1", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		u := srv.URL + "/api/hubs/hub1/:send?api-version=" + DefaultAPIVersion
		auth := "Bearer " + strings.Repeat("x", 200) // a JWT-sized header, signed once
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(msg))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set("Authorization", auth)
			req.Header.Set("Content-Length", strconv.Itoa(len(msg)))
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Fatal(resp.Status)
			}
		}
	})
}
