// Package emulatorbench measures the emulator: broadcast fan-out against a bare
// coder/websocket broadcast loop, memory per idle connection, and the round trip of an
// upstream user event. See RESULTS.md for the commands and the numbers.
package emulatorbench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/service"
)

const (
	fanoutConns   = 1000
	fanoutWindow  = 200 // broadcasts in flight before the sender waits for the slowest client
	fanoutPayload = 64
)

// receivers dials n plain WebSocket clients to url and counts the messages they read.
type receivers struct {
	conns []*websocket.Conn
	count []atomic.Int64
	dead  atomic.Int64 // receivers whose read failed before close
	wg    sync.WaitGroup
}

func dialReceivers(b *testing.B, ctx context.Context, url func(i int) string, n int) *receivers {
	r := &receivers{count: make([]atomic.Int64, n)}
	for i := range n {
		c, _, err := websocket.Dial(ctx, url(i), nil)
		if err != nil {
			b.Fatalf("dial %d: %v", i, err)
		}
		r.conns = append(r.conns, c)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					r.dead.Add(1)
					return
				}
				r.count[i].Add(1)
			}
		}()
	}
	return r
}

// min returns the smallest per-client count.
func (r *receivers) min() int64 {
	m := int64(1 << 62)
	for i := range r.count {
		if v := r.count[i].Load(); v < m {
			m = v
		}
	}
	return m
}

func (r *receivers) close() {
	r.dead.Store(-1 << 40) // reads fail from now on
	for _, c := range r.conns {
		_ = c.CloseNow()
	}
	r.wg.Wait()
}

// run sends b.N broadcasts and reports deliveries per second.
func (r *receivers) run(b *testing.B, send func(msg []byte)) {
	b.ResetTimer()
	elapsed := r.rounds(b, b.N, send)
	b.StopTimer()
	b.ReportMetric(float64(b.N)*float64(len(r.conns))/elapsed.Seconds(), "deliveries/s")
}

// rounds sends n broadcasts with at most fanoutWindow in flight, waits until every client
// has them all, and returns the time taken.
func (r *receivers) rounds(b *testing.B, n int, send func(msg []byte)) time.Duration {
	msg := []byte(strings.Repeat("m", fanoutPayload))
	base := r.min()
	start := time.Now()
	wait := func(target int64) {
		last, since := r.min(), time.Now()
		for r.min()-base < target {
			if r.dead.Load() > 0 {
				b.Fatalf("%d receivers lost their connection", r.dead.Load())
			}
			if m := r.min(); m != last {
				last, since = m, time.Now()
			} else if time.Since(since) > 30*time.Second {
				_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
				b.Fatalf("no progress for 30s at %d of %d", m-base, target)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	for i := range n {
		wait(int64(i) - fanoutWindow + 1)
		send(msg)
	}
	wait(int64(n))
	return time.Since(start)
}

// bareServer is a coder/websocket server whose broadcast writes each message to each
// connection in a loop.
type bareServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	conns []*websocket.Conn
}

func newBareServer() *bareServer {
	s := &bareServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		_, _, _ = c.Read(context.Background()) // handles control frames until closed
		_ = c.CloseNow()                       // coder/websocket keeps the socket after a read error
	}))
	return s
}

func (s *bareServer) url(int) string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

func (s *bareServer) waitConns(n int) {
	for {
		s.mu.Lock()
		got := len(s.conns)
		s.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *bareServer) broadcast(b *testing.B, ctx context.Context) func(msg []byte) {
	return func(msg []byte) {
		for _, c := range s.conns {
			if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// emulatorSetup starts an emulator with an anonymous hub and returns its server, a service
// client for the hub and the client URL.
func emulatorSetup(b *testing.B, ctx context.Context) (*emulator.Server, *service.Client, string) {
	emu, err := emulator.Start(ctx, &emulator.Config{
		Hubs: []service.HubSettings{{Hub: "bench", AllowAnonymous: true}},
	})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := service.NewClientFromConnectionString(emu.ConnectionString(), "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	return emu, svc, "ws" + strings.TrimPrefix(emu.URL(), "http") + "/client/hubs/bench"
}

func sendToAll(b *testing.B, ctx context.Context, svc *service.Client) func(msg []byte) {
	return func(msg []byte) {
		if _, err := svc.SendToAll(ctx, service.Text(string(msg)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFanout broadcasts to 1,000 plain WebSocket clients: "bare" is a loop writing each
// message to each coder/websocket connection; "emulator" is SendToAll through the service
// client and the emulator's REST API and per-connection queues. Compare deliveries/s; on a
// shared machine prefer BenchmarkFanoutInterleaved, which alternates the two in one run.
func BenchmarkFanout(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		s := newBareServer()
		defer s.srv.Close()
		r := dialReceivers(b, b.Context(), s.url, fanoutConns)
		defer r.close()
		s.waitConns(fanoutConns)
		r.run(b, s.broadcast(b, b.Context()))
	})
	b.Run("emulator", func(b *testing.B) {
		emu, svc, u := emulatorSetup(b, b.Context())
		defer emu.Close()
		r := dialReceivers(b, b.Context(), func(int) string { return u }, fanoutConns)
		defer r.close()
		r.run(b, sendToAll(b, b.Context(), svc))
	})
}

// BenchmarkFanoutInterleaved runs both sides at once (1,000 clients each) and alternates
// rounds of fanoutRound broadcasts between them, so that load from other processes hits both
// alike. It reports both rates and their ratio (emulator/bare).
func BenchmarkFanoutInterleaved(b *testing.B) {
	const fanoutRound = 10
	ctx := b.Context()
	s := newBareServer()
	defer s.srv.Close()
	rb := dialReceivers(b, ctx, s.url, fanoutConns)
	defer rb.close()
	s.waitConns(fanoutConns)
	emu, svc, u := emulatorSetup(b, ctx)
	defer emu.Close()
	re := dialReceivers(b, ctx, func(int) string { return u }, fanoutConns)
	defer re.close()
	bare, emul := s.broadcast(b, ctx), sendToAll(b, ctx, svc)
	var tb, te time.Duration
	b.ResetTimer()
	for range b.N {
		tb += rb.rounds(b, fanoutRound, bare)
		te += re.rounds(b, fanoutRound, emul)
	}
	b.StopTimer()
	n := float64(b.N * fanoutRound * fanoutConns)
	b.ReportMetric(n/tb.Seconds(), "bare-deliveries/s")
	b.ReportMetric(n/te.Seconds(), "emulator-deliveries/s")
	b.ReportMetric(tb.Seconds()/te.Seconds(), "ratio")
}
