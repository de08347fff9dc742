// Command pingpong is the floor of bench/client's acked mode: it writes 40 bytes to the TCP
// echo server at ADDR and waits for them to come back, ROUNDS times (default 20000), one at a
// time, and prints one JSON line with the round trips per second. Nothing but two processes
// taking turns on loopback TCP, as a client and the emulator do for each acked request.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pingpong:", err)
		os.Exit(1)
	}
}

func run() error {
	rounds := 20000
	if v, err := strconv.Atoi(os.Getenv("ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	c, err := net.Dial("tcp", os.Getenv("ADDR"))
	if err != nil {
		return err
	}
	defer c.Close()
	msg := make([]byte, 40)
	buf := make([]byte, len(msg))
	start := time.Now()
	for range rounds {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"rate": float64(rounds) / time.Since(start).Seconds()})
}
