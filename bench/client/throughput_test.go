package clientbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// result is what one bench process printed.
type result struct {
	Rate                float64
	CPUMicrosPerMessage float64
	Error               string
}

// env returns the environment of one bench process against f.
func benchEnv(t *testing.T, f *fixture, total int, mode string, proto client.Protocol) []string {
	return []string{
		"PUB_URL=" + f.url(t, "pub", "webpubsub.sendToGroup"),
		"SUB_URL=" + f.url(t, "sub", "webpubsub.joinLeaveGroup"),
		"MESSAGES=" + strconv.Itoa(total), "WINDOW=" + strconv.Itoa(window), "MODE=" + mode,
		"PAYLOAD_BYTES=" + strconv.Itoa(payloadLen), "PROTOCOL=" + string(proto),
	}
}

// runBench runs cmd and decodes its last output line; Error is set when the JS client
// reported that the service dropped its subscriber.
func runBench(t *testing.T, cmd *exec.Cmd, stdout, stderr *bytes.Buffer) result {
	t.Helper()
	runErr := cmd.Run()
	var res result
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &res); err != nil {
		t.Fatalf("%s: %v, output %q: %v\n%s", cmd.Path, runErr, stdout, err, stderr)
	}
	if res.Error == "" && (runErr != nil || res.Rate <= 0) {
		t.Fatalf("%s: %v, output %q\n%s", cmd.Path, runErr, stdout, stderr)
	}
	return res
}

// jsRun runs interop/client-bench.mjs (@azure/web-pubsub-client) against f.
func jsRun(t *testing.T, f *fixture, total int, mode string, proto client.Protocol) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd, stdout, stderr := nodetest.Command(ctx, t, "client-bench.mjs", benchEnv(t, f, total, mode, proto)...)
	return runBench(t, cmd, stdout, stderr)
}

// goRun runs the goclient program (this client, in its own process like node) against f.
func goRun(t *testing.T, bin string, f *fixture, total int, mode string, proto client.Protocol) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), benchEnv(t, f, total, mode, proto)...)
	if p := os.Getenv("BENCH_GOMAXPROCS"); p != "" { // e.g. 1: one thread, like node
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+p)
	}
	stdout, stderr := new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return runBench(t, cmd, stdout, stderr)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestCompareWithJS measures, on one emulator and in one run, this client (the goclient
// program) and @azure/web-pubsub-client 1.1.0 (interop/client-bench.mjs), each in its own
// process, alternately: BENCH_ROUNDS rounds (default 3) of BENCH_MESSAGES messages (default
// 20000) per protocol and mode. It logs the median rates and client CPU per message and their
// ratios. It only runs with WEBPUBSUB_BENCH=1 (a minute or two); see RESULTS.md.
func TestCompareWithJS(t *testing.T) {
	if os.Getenv("WEBPUBSUB_BENCH") == "" {
		t.Skip("set WEBPUBSUB_BENCH=1 to compare with @azure/web-pubsub-client")
	}
	nodetest.Require(t)
	total, rounds := 20000, 3
	if v, err := strconv.Atoi(os.Getenv("BENCH_MESSAGES")); err == nil && v > 0 {
		total = v
	}
	if v, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	bin := filepath.Join(t.TempDir(), "goclient")
	if out, err := exec.Command("go", "build", "-o", bin, "./goclient").CombinedOutput(); err != nil {
		t.Fatalf("go build ./goclient: %v\n%s", err, out)
	}
	f := newFixture(t)
	var report strings.Builder
	fmt.Fprintf(&report, "\n%d messages of %d bytes per round, window %d, %d rounds each, medians:\n", total, payloadLen, window, rounds)
	fmt.Fprintf(&report, "| protocol | mode | Go msgs/s | JS msgs/s | Go/JS rate | Go CPU µs/msg | JS CPU µs/msg | JS/Go CPU |\n|---|---|---|---|---|---|---|---|\n")
	for _, proto := range []client.Protocol{client.ProtocolJSON, client.ProtocolJSONReliable} {
		for _, mode := range []string{modeAcked, modePipelined} {
			var goRate, jsRate, goCPU, jsCPU []float64
			jsDropped := ""
			for range rounds {
				g := goRun(t, bin, f, total, mode, proto)
				if g.Error != "" {
					t.Fatalf("Go client %s %s: %s", proto, mode, g.Error)
				}
				goRate, goCPU = append(goRate, g.Rate), append(goCPU, g.CPUMicrosPerMessage)
				j := jsRun(t, f, total, mode, proto)
				if j.Error != "" {
					jsDropped = j.Error
					continue
				}
				jsRate, jsCPU = append(jsRate, j.Rate), append(jsCPU, j.CPUMicrosPerMessage)
			}
			t.Logf("%s %s: go %v msgs/s %v µs/msg; js %v msgs/s %v µs/msg %s", proto, mode,
				round(goRate), round(goCPU), round(jsRate), round(jsCPU), jsDropped)
			if len(jsRate) == 0 {
				fmt.Fprintf(&report, "| %s | %s | %.0f | dropped | — | %.1f | — | — |\n", proto, mode, median(goRate), median(goCPU))
				continue
			}
			fmt.Fprintf(&report, "| %s | %s | %.0f | %.0f | %.2f× | %.1f | %.1f | %.2f× |\n", proto, mode,
				median(goRate), median(jsRate), median(goRate)/median(jsRate),
				median(goCPU), median(jsCPU), median(jsCPU)/median(goCPU))
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
