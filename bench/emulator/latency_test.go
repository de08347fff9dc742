package emulatorbench

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/emulator"
	"github.com/webpubsub-go/webpubsub/service"
)

// reportLatency reports the median and 99th percentile of ds.
func reportLatency(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkUserEventRoundTrip measures one upstream user event end to end: a
// json.webpubsub.azure.v1 client sends {"type":"event"} with an ack id, the emulator POSTs it
// (signed) to an upstream that answers with text, and the client reads the reply message and
// the ack. "direct" is the same upstream called by a bare HTTP POST, for reference: the
// difference is what the emulator adds.
func BenchmarkUserEventRoundTrip(b *testing.B) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("WebHook-Allowed-Origin", "*")
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	}))
	defer upstream.Close()

	b.Run("direct", func(b *testing.B) {
		client := upstream.Client()
		ds := make([]time.Duration, 0, b.N)
		for range b.N {
			start := time.Now()
			resp, err := client.Post(upstream.URL+"/echo", "text/plain", strings.NewReader("ping"))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ds = append(ds, time.Since(start))
		}
		reportLatency(b, ds)
	})
	b.Run("emulator", func(b *testing.B) {
		ctx := b.Context()
		emu, err := emulator.Start(ctx, &emulator.Config{Hubs: []service.HubSettings{{
			Hub:            "bench",
			AllowAnonymous: true,
			EventHandlers:  []service.EventHandler{{URLTemplate: upstream.URL + "/{event}", UserEventPattern: "*"}},
		}}})
		if err != nil {
			b.Fatal(err)
		}
		defer emu.Close()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(emu.URL(), "http")+"/client/hubs/bench",
			&websocket.DialOptions{Subprotocols: []string{"json.webpubsub.azure.v1"}})
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		if _, _, err := c.Read(ctx); err != nil { // connected
			b.Fatal(err)
		}
		ds := make([]time.Duration, 0, b.N)
		for i := range b.N {
			req := []byte(`{"type":"event","event":"echo","dataType":"text","data":"ping","ackId":` + strconv.Itoa(i+1) + `}`)
			start := time.Now()
			if err := c.Write(ctx, websocket.MessageText, req); err != nil {
				b.Fatal(err)
			}
			for range 2 { // the reply, then the ack
				_, msg, err := c.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if bytes.Contains(msg, []byte(`"type":"ack"`)) {
					var ack struct{ Success bool }
					if json.Unmarshal(msg, &ack) != nil || !ack.Success {
						b.Fatalf("ack: %s", msg)
					}
				}
			}
			ds = append(ds, time.Since(start))
		}
		reportLatency(b, ds)
	})
}
