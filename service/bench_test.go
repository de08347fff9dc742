package service

import (
	"context"
	"net/http"
	"net/url"
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
		u, err := url.Parse(aud)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.tokenFor(u); err != nil {
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
// cached JWT, retry/telemetry/logging policies) with the same request (same URL, headers
// and body) sent with plain net/http to the same loopback server, one after the other;
// BenchmarkSendToAllInterleaved gives the ratio.
func BenchmarkSendToAll(b *testing.B) {
	rec := newHeaderRecorder()
	defer rec.srv.Close()
	const msg = "hello"
	ctx := context.Background()
	c, err := NewClientFromConnectionString("Endpoint="+rec.srv.URL+";AccessKey="+testKey, "hub1", nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
		b.Fatal(err)
	}
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		raw := newRawSender(hc, rec.srv.URL+"/api/hubs/hub1/:send?api-version="+DefaultAPIVersion, msg, rec.first)
		b.ReportAllocs()
		for b.Loop() {
			if err := raw.send(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
