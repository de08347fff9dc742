//go:build linux

package service

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user + system) the whole process has used so far:
// client, loopback server, net/http goroutines and GC alike.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSendToAllCPU compares the CPU time per call, not the latency: blocks of
// client SendToAll calls alternate with blocks of the same raw net/http request (as in
// BenchmarkSendToAllInterleaved), and the process CPU time used during each block is
// charged to its side. Other processes' load inflates latencies but hardly CPU time, so
// on a busy machine this ratio is the stable one. The loopback server's CPU is included
// on both sides (it does the same work for both).
func BenchmarkSendToAllCPU(b *testing.B) {
	const block = 256
	rec := newHeaderRecorder()
	defer rec.srv.Close()
	ctx := context.Background()
	const msg = "hello"
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := NewClientFromConnectionString("Endpoint="+rec.srv.URL+";AccessKey="+testKey, "hub1", nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
		b.Fatal(err)
	}
	raw := newRawSender(hc, rec.srv.URL+"/api/hubs/hub1/:send?api-version="+DefaultAPIVersion, msg, rec.first)
	if err := raw.send(ctx); err != nil {
		b.Fatal(err)
	}
	var clientCPU, rawCPU time.Duration
	var clientN, rawN int
	n := 0
	for b.Loop() {
		// b.Loop runs one iteration per pair of calls; blocks switch sides.
		t0 := processCPU(b)
		if (n/block)%2 == 0 {
			for range block {
				if _, err := c.SendToAll(ctx, Text(msg), nil); err != nil {
					b.Fatal(err)
				}
			}
			clientCPU += processCPU(b) - t0
			clientN += block
		} else {
			for range block {
				if err := raw.send(ctx); err != nil {
					b.Fatal(err)
				}
			}
			rawCPU += processCPU(b) - t0
			rawN += block
		}
		n += block
	}
	if clientN == 0 || rawN == 0 {
		return // too few iterations for both sides (the first b.Loop rounds)
	}
	b.ReportMetric(float64(clientCPU.Nanoseconds())/float64(clientN), "client-cpu-ns/call")
	b.ReportMetric(float64(rawCPU.Nanoseconds())/float64(rawN), "raw-cpu-ns/call")
	b.ReportMetric(100*(float64(clientCPU)/float64(clientN)/(float64(rawCPU)/float64(rawN))-1), "cpu-overhead-%")
}
