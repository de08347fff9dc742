package service

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func BenchmarkZZExternal(b *testing.B) {
	url := "http://127.0.0.1:18081"
	ctx := context.Background()
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := NewClientFromConnectionString("Endpoint="+url+";AccessKey="+testKey, "hub1", nil)
	if err != nil {
		b.Fatal(err)
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwOi8vMTI3LjAuMC4xOjM3MjU5L2FwaS9odWJzL2h1YjEvOnNlbmQ_YXBpLXZlcnNpb249MjAyNC0xMi0wMSIsImV4cCI6MTc5NTc4NzA5NywiaWF0IjoxNzk1NzgzNDk3fQ.9vM7YKJJdS1KQjMfQ0Ra8VA97eyGYLyHnOL87ATzqME")
	hdr.Set("Accept", "application/json")
	hdr.Set("Content-Type", "text/plain")
	hdr.Set("User-Agent", "azsdk-go-service/v0.1.0 (go1.26.8; linux)")
	raw := newRawSender(hc, url+"/api/hubs/hub1/:send?api-version="+DefaultAPIVersion, "hello", hdr)
	c.SendToAll(ctx, Text("hello"), nil)
	raw.send(ctx)
	var ct, rt time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.SendToAll(ctx, Text("hello"), nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := raw.send(ctx); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		ct += t1.Sub(t0)
		rt += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(ct.Nanoseconds())/n, "client-ns/op")
	b.ReportMetric(float64(rt.Nanoseconds())/n, "raw-ns/op")
	b.ReportMetric(100*(float64(ct)/float64(rt)-1), "overhead-%")
}
