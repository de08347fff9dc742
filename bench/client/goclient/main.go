// Command goclient is the Go counterpart of interop/client-bench.mjs, run as its own process
// by bench/client so that both clients are measured the same way: a publisher and a subscriber
// in one group, MESSAGES messages in windows of WINDOW, each window awaited at the
// subscriber. It prints one JSON line with the rate and the process CPU time per message of
// the measured phase.
//
// Env: PUB_URL, SUB_URL, MESSAGES, WINDOW, MODE (acked|pipelined), PAYLOAD_BYTES, PROTOCOL,
// CPUPROFILE (a file for a CPU profile of the measured phase).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
)

const group = "bench"

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type pair struct {
	pub, sub *client.Client
	received atomic.Int64
	target   atomic.Int64
	reached  chan struct{}
	lost     chan error
	payload  client.Message
	window   int
	mode     string
}

func (p *pair) run(ctx context.Context, count int) error {
	for sent := 0; sent < count; {
		n := min(p.window, count-sent)
		target := p.received.Load() + int64(n)
		p.target.Store(target)
		if p.mode == "acked" {
			for range n {
				if _, err := p.pub.SendToGroup(ctx, group, p.payload, nil); err != nil {
					return err
				}
			}
		} else {
			var wg sync.WaitGroup
			var firstErr atomic.Value
			start := make(chan struct{})
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
			case err := <-p.lost:
				return err
			}
		}
		select {
		case <-p.reached:
		default:
		}
		sent += n
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	total := envInt("MESSAGES", 10000)
	proto := client.Protocol(os.Getenv("PROTOCOL"))
	p := &pair{
		reached: make(chan struct{}, 1),
		lost:    make(chan error, 1),
		payload: client.Text(strings.Repeat("x", envInt("PAYLOAD_BYTES", 32))),
		window:  envInt("WINDOW", 200),
		mode:    os.Getenv("MODE"),
	}
	opts := &client.Options{Protocol: proto}
	var err error
	if p.sub, err = client.New(os.Getenv("SUB_URL"), opts); err != nil {
		return err
	}
	p.sub.OnGroupMessage(func(context.Context, *client.GroupMessageEvent) {
		if p.received.Add(1) == p.target.Load() {
			p.reached <- struct{}{}
		}
	})
	p.sub.OnDisconnected(func(_ context.Context, ev *client.DisconnectedEvent) {
		if ev.Err != nil {
			select {
			case p.lost <- fmt.Errorf("subscriber disconnected: %w", ev.Err):
			default:
			}
		}
	})
	if p.pub, err = client.New(os.Getenv("PUB_URL"), opts); err != nil {
		return err
	}
	for _, c := range []*client.Client{p.sub, p.pub} {
		if err := c.Start(ctx); err != nil {
			return err
		}
		defer c.Stop(ctx)
	}
	if _, err := p.sub.JoinGroup(ctx, group, nil); err != nil {
		return err
	}
	if err := p.run(ctx, min(1000, total)); err != nil { // warm-up
		return err
	}
	if path := os.Getenv("CPUPROFILE"); path != "" { // for looking into the client's costs
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cpu0, t0 := cpu(), time.Now()
	if err := p.run(ctx, total); err != nil {
		return err
	}
	seconds := time.Since(t0).Seconds()
	cpuPerMsg := float64(cpu()-cpu0) / float64(time.Microsecond) / float64(total)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"mode": p.mode, "protocol": proto, "messages": total, "seconds": seconds,
		"rate": float64(total) / seconds, "cpuMicrosPerMessage": cpuPerMsg,
	})
}
