package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/handler"
	"github.com/webpubsub-go/webpubsub/internal/wire"
	"github.com/webpubsub-go/webpubsub/service"
)

// TestStartRefusedReason checks that a refused handshake reports the status and the reason
// the service sent with it: the emulator's own refusals, a connect handler's (a handler.Hub,
// and a plain HTTP upstream), and a server that is not the service at all.
func TestStartRefusedReason(t *testing.T) {
	e := newEnv(t, nil)

	// Hub "gate": a handler.Hub whose connect func refuses with 401 and a two-line reason.
	gate, err := handler.NewHub("gate", &handler.Options{ConnectionStrings: []string{e.emu.ConnectionString()}})
	if err != nil {
		t.Fatal(err)
	}
	gate.HandleConnect(func(context.Context, *handler.ConnectRequest) (*handler.ConnectResponse, error) {
		return nil, handler.Unauthorized("no pass for you:\nask the admin")
	})
	gateSrv := httptest.NewServer(gate)
	t.Cleanup(gateSrv.Close)
	e.emu.SetHub(service.HubSettings{Hub: "gate", EventHandlers: []service.EventHandler{gate.EventHandler(gateSrv.URL)}})

	// Hub "plain": an upstream answering connect with 403 and a 3000-byte body.
	long := strings.Repeat("denied ", 3000/len("denied "))
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set(wire.HeaderAllowedOrigin, "*")
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		http.Error(w, long, http.StatusForbidden)
	}))
	t.Cleanup(plain.Close)
	e.emu.SetHub(service.HubSettings{Hub: "plain", EventHandlers: []service.EventHandler{{URLTemplate: plain.URL, SystemEvents: []string{wire.EventConnect}}}})

	// Not the service: a server answering every request with 502 and an HTML page.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>\r\n  <body>Bad gateway</body>\r\n</html>\r\n")
	}))
	t.Cleanup(proxy.Close)
	// And one answering 503 without a body.
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(empty.Close)

	tokenURL := func(hub string) string {
		svc, err := service.NewClientFromConnectionString(e.emu.ConnectionString(), hub, nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := svc.ClientAccessToken(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok.URL
	}
	tests := []struct {
		name       string
		url        string
		wantStatus int
		wantReason string // exact, or a prefix when it ends with "*"
	}{
		{"emulator: bad token", e.srv.URL + "/client/hubs/" + testHub + "?access_token=bad", http.StatusUnauthorized, "Unauthorized: *"},
		{"emulator: no token", e.srv.URL + "/client/hubs/" + testHub, http.StatusUnauthorized,
			"Unauthorized: an access token is required (hub " + testHub + " does not allow anonymous connections)"},
		{"connect handler: handler.Unauthorized", tokenURL("gate"), http.StatusUnauthorized, "no pass for you: ask the admin"},
		{"connect handler: long body", tokenURL("plain"), http.StatusForbidden,
			strings.TrimSpace(long[:client.MaxDialReasonBytes-len("…")]) + "…"},
		{"not the service: HTML", proxy.URL + "/client/hubs/x", http.StatusBadGateway, "<html> <body>Bad gateway</body> </html>"},
		{"not the service: no body", empty.URL + "/client/hubs/x", http.StatusServiceUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(tt.url, &client.Options{DisableAutoReconnect: true})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Start(t.Context())
			de, ok := errors.AsType[*client.DialError](err)
			if !ok {
				t.Fatalf("Start = %v, want *client.DialError", err)
			}
			if de.StatusCode != tt.wantStatus {
				t.Errorf("DialError.StatusCode = %d, want %d", de.StatusCode, tt.wantStatus)
			}
			if prefix, ok := strings.CutSuffix(tt.wantReason, "*"); ok {
				if !strings.HasPrefix(de.Reason, prefix) || len(de.Reason) == len(prefix) {
					t.Errorf("DialError.Reason = %q, want %q followed by a cause", de.Reason, prefix)
				}
			} else if de.Reason != tt.wantReason {
				t.Errorf("DialError.Reason = %q, want %q", de.Reason, tt.wantReason)
			}
			if de.Reason != "" && !strings.Contains(err.Error(), de.Reason) {
				t.Errorf("Error() = %q, lacks the reason %q", err.Error(), de.Reason)
			}
		})
	}
	noClientGoroutines(t)
}
