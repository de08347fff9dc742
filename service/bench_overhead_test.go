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
)

// BenchmarkSendToAllInterleaved alternates one client SendToAll and one raw net/http
// request to the same loopback server in each iteration and reports both latencies and
// the client's overhead, so that load changes on a shared machine hit both sides alike.
func BenchmarkSendToAllInterleaved(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	ctx := context.Background()
	msg := "hello"
	c, err := NewClientFromConnectionString("Endpoint="+srv.URL+";AccessKey="+testKey, "hub1", nil)
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	u := srv.URL + "/api/hubs/hub1/:send?api-version=" + DefaultAPIVersion
	auth := "Bearer " + strings.Repeat("x", 200)
	raw := func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(msg))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Length", strconv.Itoa(len(msg)))
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	var clientTotal, rawTotal time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		raw()
		t2 := time.Now()
		clientTotal += t1.Sub(t0)
		rawTotal += t2.Sub(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(clientTotal.Nanoseconds())/n, "client-ns/op")
	b.ReportMetric(float64(rawTotal.Nanoseconds())/n, "raw-ns/op")
	b.ReportMetric(100*(float64(clientTotal)/float64(rawTotal)-1), "overhead-%")
}

// nopTransport answers 202 without any I/O: it isolates the per-call CPU cost of the
// client (URL building, JWT cache, azcore pipeline) from the network.
type nopTransport struct{}

func (nopTransport) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
	}
	return &http.Response{StatusCode: http.StatusAccepted, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// BenchmarkSendToAllNoNetwork measures the client's own per-call cost.
func BenchmarkSendToAllNoNetwork(b *testing.B) {
	opts := &ClientOptions{}
	opts.Transport = nopTransport{}
	c, err := NewClientFromConnectionString("Endpoint=http://127.0.0.1:1;AccessKey="+testKey, "hub1", opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SendToAll(ctx, Text("hello"), nil); err != nil {
			b.Fatal(err)
		}
	}
}
