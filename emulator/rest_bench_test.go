package emulator

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/webpubsub-go/webpubsub/internal/odata"
)

// BenchmarkRESTSendToAll measures a broadcast to 100 live WebSocket clients (which read
// everything) three ways, alternating within each iteration: the hub operation called
// directly, the REST call over loopback HTTP (JWT check, routing, body read), and the REST
// call with an OData filter that matches every connection. Each broadcast is timed until
// all 100 deliveries were read. The ratios rest/direct and filter/rest are the cost of the
// REST layer and of filtering. See bench/emulator-rest/RESULTS.md.
func BenchmarkRESTSendToAll(b *testing.B) {
	const clients = 100
	srv, err := Start(b.Context(), &Config{AccessKey: restTestKey, KeepAliveInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	env := &restEnv{srv: srv, hub: "bench"}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	received := make(chan struct{}, clients*64)
	for i := range clients {
		c := env.benchClient(b, "u"+strconv.Itoa(i))
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
				received <- struct{}{}
			}
		}()
	}
	wait := func(n int) {
		for range n {
			select {
			case <-received:
			case <-time.After(10 * time.Second):
				b.Fatal("deliveries stalled")
			}
		}
	}
	h := srv.hub("bench")
	msg := []byte("benchmark message payload")
	httpClient := &http.Client{}
	post := func(query string) {
		u := srv.URL() + "/api/hubs/bench/:send?api-version=2024-12-01" + query
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(msg))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", "Bearer "+restToken(b, restTestKey, u, time.Hour))
		resp, err := httpClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatalf("POST: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	filter := "&filter=" + url.QueryEscape("userId ne 'nobody' and not ('muted' in groups)")

	// The three ways alternate within each iteration, so machine load hits them alike and
	// their ratio is measured side by side.
	modes := []struct {
		name string
		send func()
	}{
		{"direct", func() { h.sendToAll(outMessage{data: msg, dataType: "text"}, nil, nil) }},
		{"rest", func() { post("") }},
		{"rest-filter", func() { post(filter) }},
	}
	spent := make([]time.Duration, len(modes))
	for b.Loop() {
		for i, m := range modes {
			t0 := time.Now()
			m.send()
			wait(clients)
			spent[i] += time.Since(t0)
		}
	}
	for i, m := range modes {
		b.ReportMetric(float64(spent[i].Nanoseconds())/float64(b.N), m.name+"-ns/broadcast")
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "rest/direct")
	b.ReportMetric(float64(spent[2])/float64(spent[1]), "filter/rest")
	b.ReportMetric(float64(b.N*clients)/spent[1].Seconds(), "rest-deliveries/s")
}

// BenchmarkODataMatch measures parsing a typical filter and matching it against one
// connection.
func BenchmarkODataMatch(b *testing.B) {
	const src = "userId in ('u1', 'u2', 'u3') and not ('muted' in groups) or startswith(connectionId, 'x')"
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			if _, err := odata.Parse(src); err != nil {
				b.Fatal(err)
			}
		}
	})
	f, err := odata.Parse(src)
	if err != nil {
		b.Fatal(err)
	}
	tg := odata.Target{ConnectionID: "c1", UserID: "u2", Groups: []string{"lobby", "room"}}
	b.Run("match", func(b *testing.B) {
		for b.Loop() {
			if !f.Match(tg) {
				b.Fatal("no match")
			}
		}
	})
}

// benchClient connects a json.webpubsub.azure.v1 client for user and reads its connected
// message.
func (r *restEnv) benchClient(b *testing.B, user string) *websocket.Conn {
	claims := jwt.MapClaims{"aud": r.srv.URL() + "/client/hubs/" + r.hub, "exp": time.Now().Add(time.Hour).Unix(), "sub": user}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(restTestKey))
	if err != nil {
		b.Fatal(err)
	}
	u := "ws" + strings.TrimPrefix(r.srv.URL(), "http") + "/client/hubs/" + r.hub + "?access_token=" + tok
	ws, _, err := websocket.Dial(b.Context(), u, &websocket.DialOptions{Subprotocols: []string{"json.webpubsub.azure.v1"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ws.CloseNow() })
	if _, _, err := ws.Read(b.Context()); err != nil {
		b.Fatal(err)
	}
	return ws
}
