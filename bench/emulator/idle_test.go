package emulatorbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/service"
)

// The idle-memory benchmark holds its client connections in a child process (this test
// binary re-executed with childEnv set), so that the server's memory is measured alone and
// each process stays within the open-file limit.
const childEnv = "EMULATOR_BENCH_IDLE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(idleChild())
	}
	os.Exit(m.Run())
}

// raiseFileLimit lifts the soft open-file limit to the hard one.
func raiseFileLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	l.Cur = l.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	return l.Cur
}

// idleChild opens EMU_N raw WebSocket handshakes to EMU_ADDR, EMU_PATH and holds them
// without reading until stdin closes. It prints "ready" once all are upgraded.
func idleChild() int {
	raiseFileLimit()
	addr, path := os.Getenv("EMU_ADDR"), os.Getenv("EMU_PATH")
	n, _ := strconv.Atoi(os.Getenv("EMU_N"))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	conns := make([]net.Conn, 0, n)
	buf := make([]byte, 4096)
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Println("error dial", i, err)
			return 1
		}
		if _, err := io.WriteString(c, req); err != nil {
			fmt.Println("error write", i, err)
			return 1
		}
		got := ""
		for !strings.Contains(got, "\r\n\r\n") {
			k, err := c.Read(buf)
			if err != nil {
				fmt.Println("error read", i, err)
				return 1
			}
			got += string(buf[:k])
		}
		if !strings.HasPrefix(got, "HTTP/1.1 101") {
			fmt.Println("error status", i, strings.SplitN(got, "\r\n", 2)[0])
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		_ = c.Close()
	}
	return 0
}

func serverMemory() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse, runtime.NumGoroutine()
}

// measureIdle opens n idle connections from a child process against addr/path and reports
// the server process's heap+stack growth per connection.
func measureIdle(b *testing.B, n int, addr, path string, goroutinesPerConn int) {
	before, g0 := serverMemory()
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "EMU_ADDR="+addr, "EMU_PATH="+path, "EMU_N="+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		_ = cmd.Wait()
		// Let the server notice the closed sockets before the next measurement.
		deadline := time.Now().Add(20 * time.Second)
		for runtime.NumGoroutine() > g0+10 {
			if time.Now().After(deadline) {
				_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
				b.Fatalf("%d goroutines left after the clients closed", runtime.NumGoroutine()-g0)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		b.Fatalf("child: %q %v", line, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for runtime.NumGoroutine() < g0+goroutinesPerConn*n {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d goroutines after 60s", runtime.NumGoroutine()-g0, goroutinesPerConn*n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	after, g1 := serverMemory()
	b.ReportMetric(float64(after-before)/float64(n), "bytes/conn")
	b.ReportMetric(float64(g1-g0)/float64(n), "goroutines/conn")
}

const idleConns = 10000

// BenchmarkIdleConnections measures the server-side memory (heap in use + goroutine stacks)
// per idle WebSocket connection with 10,000 connections open: "emulator" (anonymous plain
// clients on a hub) and, for reference, "bare" (a coder/websocket server that only reads).
// Run with -benchtime 1x.
func BenchmarkIdleConnections(b *testing.B) {
	if lim := raiseFileLimit(); lim < idleConns+100 {
		b.Skipf("open-file limit %d is too low for %d connections", lim, idleConns)
	}
	b.Run("bare", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
			if err != nil {
				return
			}
			_, _, _ = c.Read(context.Background())
			_ = c.CloseNow() // coder/websocket keeps the socket after a read error
		}))
		defer srv.Close()
		for range b.N {
			measureIdle(b, idleConns, srv.Listener.Addr().String(), "/", 1)
		}
	})
	b.Run("emulator", func(b *testing.B) {
		emu, err := emulator.Start(b.Context(), &emulator.Config{
			Hubs: []service.HubSettings{{Hub: "idle", AllowAnonymous: true}},
		})
		if err != nil {
			b.Fatal(err)
		}
		defer emu.Close()
		for range b.N {
			measureIdle(b, idleConns, strings.TrimPrefix(emu.URL(), "http://"), "/client/hubs/idle", 1)
		}
	})
}
