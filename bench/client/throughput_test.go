package clientbench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/internal/nodetest"
	"github.com/webpubsub-go/webpubsub/service"
)

const (
	group      = "bench"
	hub        = "bench"
	window     = 200 // below the emulator's (and service's) 1000 unacknowledged messages
	payloadLen = 32
)

// Modes, shared with interop/client-bench.mjs.
const (
	modeAcked     = "acked"     // each send waits for its ack before the next
	modePipelined = "pipelined" // a window of sends in flight together, each acked
)

type fixture struct {
	srv *emulator.Server
	svc *service.Client
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	srv, err := emulator.Start(context.Background(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	svc, err := service.NewClientFromConnectionString(srv.ConnectionString(), hub, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{srv: srv, svc: svc}
}

func (f *fixture) url(tb testing.TB, user string, roles ...string) string {
	tb.Helper()
	tok, err := f.svc.ClientAccessToken(context.Background(), &service.ClientAccessTokenOptions{UserID: user, Roles: roles})
	if err != nil {
		tb.Fatal(err)
	}
	return tok.URL
}

// goPair is a connected Go publisher and subscriber in the bench group.
type goPair struct {
	pub, sub *client.Client
	received atomic.Int64
	target   atomic.Int64
	reached  chan struct{}
	payload  client.Message
}

func newGoPair(tb testing.TB, f *fixture, proto client.Protocol) *goPair {
	tb.Helper()
	ctx := context.Background()
	p := &goPair{reached: make(chan struct{}, 1), payload: client.Text(strings.Repeat("x", payloadLen))}
	opts := &client.Options{Protocol: proto}
	var err error
	if p.sub, err = client.New(f.url(tb, "sub", "webpubsub.joinLeaveGroup"), opts); err != nil {
		tb.Fatal(err)
	}
	p.sub.OnGroupMessage(func(context.Context, *client.GroupMessageEvent) {
		if p.received.Add(1) == p.target.Load() {
			p.reached <- struct{}{}
		}
	})
	p.sub.OnDisconnected(func(_ context.Context, ev *client.DisconnectedEvent) {
		if ev.Err != nil { // nil after Stop
			tb.Errorf("Go subscriber disconnected: %v", ev.Err)
		}
	})
	if p.pub, err = client.New(f.url(tb, "pub", "webpubsub.sendToGroup"), opts); err != nil {
		tb.Fatal(err)
	}
	for _, c := range []*client.Client{p.sub, p.pub} {
		if err := c.Start(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := p.sub.JoinGroup(ctx, group, nil); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = p.pub.Stop(ctx)
		_ = p.sub.Stop(ctx)
	})
	return p
}

// run sends count messages in windows and waits until the subscriber received each window.
func (p *goPair) run(ctx context.Context, count int, mode string) error {
	for sent := 0; sent < count; {
		n := min(window, count-sent)
		target := p.received.Load() + int64(n)
		p.target.Store(target)
		switch mode {
		case modeAcked:
			for range n {
				if _, err := p.pub.SendToGroup(ctx, group, p.payload, nil); err != nil {
					return err
				}
			}
		default:
			var wg sync.WaitGroup
			var firstErr atomic.Value
			start := make(chan struct{}) // all sends start together, like JS's synchronous loop
			for range n {
				wg.Go(func() {
					<-start
					if _, err := p.pub.SendToGroup(ctx, group, p.payload, nil); err != nil {
						firstErr.CompareAndSwap(nil, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if err, ok := firstErr.Load().(error); ok {
				return err
			}
		}
		if p.received.Load() < target {
			select {
			case <-p.reached:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select { // a signal for a window that was complete before we waited
		case <-p.reached:
		default:
		}
		sent += n
	}
	return nil
}

// BenchmarkSendReceive reports messages per second sent by one Go client to a group and
// received by another, through the in-process emulator.
func BenchmarkSendReceive(b *testing.B) {
	for _, mode := range []string{modeAcked, modePipelined} {
		b.Run(mode, func(b *testing.B) {
			f := newFixture(b)
			p := newGoPair(b, f, client.ProtocolJSONReliable)
			ctx := context.Background()
			if err := p.run(ctx, 500, mode); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			if err := p.run(ctx, b.N, mode); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// jsRun runs interop/client-bench.mjs against f and returns its messages per second, or 0
// when the service dropped the JS subscriber.
func jsRun(t *testing.T, f *fixture, total int, mode string, proto client.Protocol) float64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd, stdout, stderr := nodetest.Command(ctx, t, "client-bench.mjs",
		"PUB_URL="+f.url(t, "jspub", "webpubsub.sendToGroup"),
		"SUB_URL="+f.url(t, "jssub", "webpubsub.joinLeaveGroup"),
		"MESSAGES="+strconv.Itoa(total), "WINDOW="+strconv.Itoa(window), "MODE="+mode,
		"PAYLOAD_BYTES="+strconv.Itoa(payloadLen), "PROTOCOL="+string(proto))
	runErr := cmd.Run()
	var res struct {
		Rate  float64
		Error string
	}
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &res); err != nil {
		t.Fatalf("node client-bench.mjs: %v, output %q: %v\n%s", runErr, stdout, err, stderr)
	}
	if res.Error != "" {
		t.Logf("JS client, %s %s: %s", proto, mode, res.Error)
		return 0
	}
	if runErr != nil || res.Rate <= 0 {
		t.Fatalf("node client-bench.mjs: %v, output %q\n%s", runErr, stdout, stderr)
	}
	return res.Rate
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// goRun measures the Go pair like the node script: fresh clients, warm-up, then total messages.
func goRun(t *testing.T, f *fixture, total int, mode string, proto client.Protocol) float64 {
	t.Helper()
	p := newGoPair(t, f, proto)
	ctx := t.Context()
	if err := p.run(ctx, min(1000, total), mode); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.run(ctx, total, mode); err != nil {
		t.Fatal(err)
	}
	rate := float64(total) / time.Since(start).Seconds()
	_ = p.pub.Stop(ctx)
	_ = p.sub.Stop(ctx)
	return rate
}

// TestCompareWithJS measures, on one emulator and in one run, the Go client and
// @azure/web-pubsub-client 1.1.0 alternately (BENCH_ROUNDS rounds, default 3, of
// BENCH_MESSAGES messages, default 20000, per protocol and mode) and logs the medians and their
// ratio. It only runs with WEBPUBSUB_BENCH=1 (it takes a minute or two); see RESULTS.md.
func TestCompareWithJS(t *testing.T) {
	if os.Getenv("WEBPUBSUB_BENCH") == "" {
		t.Skip("set WEBPUBSUB_BENCH=1 to compare with @azure/web-pubsub-client")
	}
	nodetest.Require(t)
	total := 20000
	if v, err := strconv.Atoi(os.Getenv("BENCH_MESSAGES")); err == nil && v > 0 {
		total = v
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	f := newFixture(t)
	var report strings.Builder
	fmt.Fprintf(&report, "\n%d messages of %d bytes per round, window %d, %d rounds each, medians (0 = subscriber dropped):\n", total, payloadLen, window, rounds)
	fmt.Fprintf(&report, "| protocol | mode | Go client msgs/s | JS client msgs/s | Go/JS |\n|---|---|---|---|---|\n")
	for _, proto := range []client.Protocol{client.ProtocolJSON, client.ProtocolJSONReliable} {
		for _, mode := range []string{modeAcked, modePipelined} {
			var goRates, jsRates []float64
			for range rounds {
				goRates = append(goRates, goRun(t, f, total, mode, proto))
				jsRates = append(jsRates, jsRun(t, f, total, mode, proto))
			}
			g, j := median(goRates), median(jsRates)
			t.Logf("%s %s: go %v, js %v", proto, mode, round(goRates), round(jsRates))
			ratio := "JS dropped"
			if j > 0 {
				ratio = fmt.Sprintf("%.2f×", g/j)
			}
			fmt.Fprintf(&report, "| %s | %s | %.0f | %.0f | %s |\n", proto, mode, g, j, ratio)
		}
	}
	t.Log(report.String())
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func round(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
