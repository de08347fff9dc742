// Command server is the loopback "service" of the service client's overhead benchmark
// when it runs in its own process (bench/service/run.sh): it answers every request
// with 202 and no body, after reading the request body to the end, like the in-process
// server of service.BenchmarkSendToAllInterleaved.
//
// Usage: server [-addr 127.0.0.1:0]; it prints URL=http://… once it listens.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "URL=http://%s\n", ln.Addr())
	srv := &http.Server{Handler: http.HandlerFunc(accept), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// accept drains the request body and answers 202 Accepted.
func accept(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusAccepted)
}
