package clientbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
)

// TestPlacement explains the two modes of the acked rate (RESULTS.md: about 28k or about 12k
// messages per second, from round to round): it pins the client process to the CPU of the
// test process (which runs the emulator) and then to another CPU, and measures both the Go
// client's acked mode and a bare TCP ping-pong between the same two processes
// (bench/client/pingpong). Each acked request is one round trip between the processes; when
// they sit on different CPUs, every turn wakes the other CPU. It needs taskset, two CPUs,
// and the test process pinned to one CPU:
//
//	WEBPUBSUB_BENCH=1 BENCH_PLACEMENT=1 taskset -c 0 go test -count=1 -run TestPlacement -v ./bench/client
func TestPlacement(t *testing.T) {
	if os.Getenv("WEBPUBSUB_BENCH") == "" || os.Getenv("BENCH_PLACEMENT") == "" {
		t.Skip("set WEBPUBSUB_BENCH=1 BENCH_PLACEMENT=1 and run under taskset -c <cpu>")
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		t.Skip("no taskset")
	}
	self := ownCPUs(t)
	online, _ := os.ReadFile("/sys/devices/system/cpu/online")
	if strings.ContainsAny(self, ",-") || !strings.ContainsAny(string(online), ",-") {
		t.Skipf("the test process may run on CPUs %q of %q; run it under taskset -c <one cpu> on a machine with two or more", self, strings.TrimSpace(string(online)))
	}
	other := "1"
	if self == "1" {
		other = "0"
	}
	dir := t.TempDir()
	bins := map[string]string{}
	for _, cmd := range []string{"goclient", "pingpong"} {
		bins[cmd] = filepath.Join(dir, cmd)
		if out, err := exec.Command("go", "build", "-o", bins[cmd], "./"+cmd).CombinedOutput(); err != nil {
			t.Fatalf("go build ./%s: %v\n%s", cmd, err, out)
		}
	}
	addr := echoServer(t)
	f := newFixture(t)
	const rounds = 3
	var report strings.Builder
	fmt.Fprintf(&report, "\ntest process (emulator, echo server) on CPU %s; medians of %d rounds:\n", self, rounds)
	fmt.Fprintf(&report, "| client process on | bare TCP round trips/s | Go client acked msgs/s (json) | Go client acked msgs/s (json.reliable) |\n|---|---|---|---|\n")
	for _, cpu := range []string{self, other} {
		var bare, plain, reliable []float64
		for range rounds {
			bare = append(bare, pinnedRun(t, taskset, cpu, bins["pingpong"], "ADDR="+addr).Rate)
			for _, proto := range []client.Protocol{client.ProtocolJSON, client.ProtocolJSONReliable} {
				r := pinnedRun(t, taskset, cpu, bins["goclient"], benchEnv(t, f, 20000, modeAcked, proto)...)
				if proto == client.ProtocolJSON {
					plain = append(plain, r.Rate)
				} else {
					reliable = append(reliable, r.Rate)
				}
			}
		}
		t.Logf("client on CPU %s: bare %v, json %v, json.reliable %v", cpu, round(bare), round(plain), round(reliable))
		where := "the same CPU (" + cpu + ")"
		if cpu != self {
			where = "another CPU (" + cpu + ")"
		}
		fmt.Fprintf(&report, "| %s | %.0f | %.0f | %.0f |\n", where, median(bare), median(plain), median(reliable))
	}
	t.Log(report.String())
}

// ownCPUs returns the CPUs the test process may run on, as Linux lists them ("0", "0-1").
func ownCPUs(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Skip("no Cpus_allowed_list in /proc/self/status")
	return ""
}

// echoServer serves a TCP echo on loopback until the test ends.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// pinnedRun runs bin with env on cpu and decodes its JSON line.
func pinnedRun(t *testing.T, taskset, cpu, bin string, env ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, taskset, "-c", cpu, bin)
	cmd.Env = append(os.Environ(), env...)
	stdout, stderr := new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return runBench(t, cmd, stdout, stderr)
}
