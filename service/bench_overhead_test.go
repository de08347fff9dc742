package service

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// The per-call overhead benchmarks. Results and the command: bench/service/RESULTS.md.
//
// Fairness: the raw side sends exactly the request the client sends. The server records
// the headers of the client's first request (Authorization with the real JWT, Accept,
// Content-Type, User-Agent) and the raw request copies them, with the same URL and body;
// net/http adds Host, Content-Length and Accept-Encoding on both sides. Both sides read
// the (empty) response body to the end and close it, on keep-alive connections.

// headerRecorder is a loopback "service" answering 202 that keeps the headers of the
// first request it sees.
type headerRecorder struct {
	srv   *httptest.Server
	once  sync.Once
	first http.Header
}

func newHeaderRecorder() *headerRecorder {
	h := &headerRecorder{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h.once.Do(func() { h.first = r.Header.Clone() })
		w.WriteHeader(http.StatusAccepted)
	}))
	return h
}

// rawSender sends the same POST with plain net/http and the given headers.
type rawSender struct {
	hc     *http.Client
	url    string
	body   string
	header http.Header
}

func newRawSender(hc *http.Client, url, body string, sent http.Header) *rawSender {
	h := http.Header{}
	for _, k := range []string{"Authorization", "Accept", "Content-Type", "User-Agent"} {
		if v := sent.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return &rawSender{hc: hc, url: url, body: body, header: h}
}

func (s *rawSender) send(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(s.body))
	if err != nil {
		return err
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// BenchmarkSendToAllInterleaved rotates one client SendToAll, one raw net/http request
// with the same URL, headers and body, and the same request through a bare azcore
// pipeline (azcore-floor) to the same loopback server in each iteration, and reports the
// three latencies and the overheads over raw, so that load changes on a shared machine
// hit all sides alike.
//
//   - default: the client as users get it (azcore's default transport); raw and
//     azcore-floor use a clone of http.DefaultTransport.
//   - shared-transport: the client is given the raw side's *http.Client as its
//     transport, so the difference is the client's own work and azcore's pipeline.
//
// The server is an httptest server in this process unless WEBPUBSUB_BENCH_SERVER names
// the base URL of one in another process (bench/service/run.sh starts
// bench/service/server pinned to its own core): then the server's CPU and garbage
// collection are not shared with the client, as with a real service.
func BenchmarkSendToAllInterleaved(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "default"
		if shared {
			name = "shared-transport"
		}
		b.Run(name, func(b *testing.B) {
			base := os.Getenv("WEBPUBSUB_BENCH_SERVER")
			if base == "" {
				rec := newHeaderRecorder()
				defer rec.srv.Close()
				base = rec.srv.URL
			}
			ctx := context.Background()
			const msg = "hello"
			hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			cs := "Endpoint=" + base + ";AccessKey=" + testKey
			// The headers the client sends, recorded by a twin client's transport.
			sent := &sentHeaders{next: hc}
			twin, err := NewClientFromConnectionString(cs, "hub1", &ClientOptions{ClientOptions: policy.ClientOptions{Transport: sent}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := twin.SendToAll(ctx, Text(msg), nil); err != nil {
				b.Fatal(err)
			}
			opts := &ClientOptions{}
			if shared {
				opts.Transport = hc
			}
			c, err := NewClientFromConnectionString(cs, "hub1", opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
				b.Fatal(err)
			}
			u := base + "/api/hubs/hub1/:send?api-version=" + DefaultAPIVersion
			raw := newRawSender(hc, u, msg, sent.h)
			if err := raw.send(ctx); err != nil {
				b.Fatal(err)
			}
			floor := newFloorSender(hc, u, msg, sent.h)
			if err := floor.send(ctx); err != nil {
				b.Fatal(err)
			}
			var clientTotal, rawTotal, floorTotal time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := raw.send(ctx); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if err := floor.send(ctx); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				clientTotal += t1.Sub(t0)
				rawTotal += t2.Sub(t1)
				floorTotal += t3.Sub(t2)
			}
			n := float64(b.N)
			b.ReportMetric(float64(clientTotal.Nanoseconds())/n, "client-ns/op")
			b.ReportMetric(float64(rawTotal.Nanoseconds())/n, "raw-ns/op")
			b.ReportMetric(float64(floorTotal.Nanoseconds())/n, "floor-ns/op")
			b.ReportMetric(100*(float64(clientTotal)/float64(rawTotal)-1), "overhead-%")
			b.ReportMetric(100*(float64(floorTotal)/float64(rawTotal)-1), "floor-overhead-%")
		})
	}
}

// sentHeaders is a transport that keeps the headers of the first request it sends.
type sentHeaders struct {
	next *http.Client
	h    http.Header
}

func (s *sentHeaders) Do(req *http.Request) (*http.Response, error) {
	if s.h == nil {
		s.h = req.Header.Clone()
	}
	return s.next.Do(req)
}

// floorSender sends the same request through a bare azcore pipeline: default policies,
// no policy of ours, the recorded Authorization header: the least any client built on
// azcore's pipeline pays per call.
type floorSender struct {
	pl     runtime.Pipeline
	url    string
	body   []byte
	header http.Header
}

func newFloorSender(hc *http.Client, url, body string, sent http.Header) *floorSender {
	h := http.Header{}
	for _, k := range []string{"Authorization", "Accept"} {
		if v := sent.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	pl := runtime.NewPipeline(moduleName, moduleVersion, runtime.PipelineOptions{}, &policy.ClientOptions{Transport: hc})
	return &floorSender{pl: pl, url: url, body: []byte(body), header: h}
}

func (s *floorSender) send(ctx context.Context) error {
	req, err := runtime.NewRequest(ctx, http.MethodPost, s.url)
	if err != nil {
		return err
	}
	for k, v := range s.header {
		req.Raw().Header[k] = v
	}
	if err := req.SetBody(streaming.NopCloser(bytes.NewReader(s.body)), "text/plain"); err != nil {
		return err
	}
	runtime.SkipBodyDownload(req)
	resp, err := s.pl.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// nopTransport answers 202 without any I/O: it isolates the per-call CPU cost of the
// client (URL building, JWT cache, azcore pipeline) from the network. It serves as an
// azcore Transporter (Do) and as an http.RoundTripper.
type nopTransport struct{}

func (t nopTransport) RoundTrip(req *http.Request) (*http.Response, error) { return t.Do(req) }

func (nopTransport) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
	}
	return &http.Response{StatusCode: http.StatusAccepted, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// BenchmarkSendToAllNoNetwork measures the client's own per-call CPU cost (client) next
// to the same request through a bare azcore pipeline (azcore-floor) and built with
// net/http (raw), all handed to the same *http.Client over a transport without I/O.
func BenchmarkSendToAllNoNetwork(b *testing.B) {
	ctx := context.Background()
	hc := &http.Client{Transport: nopTransport{}}
	opts := &ClientOptions{}
	opts.Transport = hc
	c, err := NewClientFromConnectionString("Endpoint=http://127.0.0.1:1;AccessKey="+testKey, "hub1", opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("client", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.SendToAll(ctx, Text("hello"), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("azcore-floor", func(b *testing.B) {
		// The same request through a bare azcore pipeline (default policies, no policy
		// of ours, Authorization signed once): the least any azcore-based client pays.
		sent := http.Header{"Authorization": {"Bearer " + strings.Repeat("x", 230)}, "Accept": {"application/json"}}
		floor := newFloorSender(hc, "http://127.0.0.1:1/api/hubs/hub1/:send?api-version="+DefaultAPIVersion, "hello", sent)
		b.ReportAllocs()
		for b.Loop() {
			if err := floor.send(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		sent := http.Header{}
		for k, v := range map[string]string{"Authorization": "Bearer " + strings.Repeat("x", 230), "Accept": "application/json", "Content-Type": "text/plain", "User-Agent": "azsdk-go-service/v0.1.0 (go1.26; linux)"} {
			sent.Set(k, v)
		}
		raw := newRawSender(hc, "http://127.0.0.1:1/api/hubs/hub1/:send?api-version="+DefaultAPIVersion, "hello", sent)
		b.ReportAllocs()
		for b.Loop() {
			if err := raw.send(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
