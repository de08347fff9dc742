package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/webpubsub-go/webpubsub/service"
)

func TestParseHandler(t *testing.T) {
	tests := []struct {
		spec    string
		wantHub string
		want    service.EventHandler
		wantErr bool
	}{
		{"chat=http://127.0.0.1:3000/{event}", "chat", service.EventHandler{URLTemplate: "http://127.0.0.1:3000/{event}", UserEventPattern: "*", SystemEvents: []string{"connect", "connected", "disconnected"}}, false},
		{"chat=http://h/{hub}/{event};user-events=a,b;system-events=connected;presence-events=joined,left", "chat", service.EventHandler{URLTemplate: "http://h/{hub}/{event}", UserEventPattern: "a,b", SystemEvents: []string{"connected"}, GroupPresenceEvents: []string{"joined", "left"}}, false},
		{"chat=http://h/;system-events=", "chat", service.EventHandler{URLTemplate: "http://h/", UserEventPattern: "*"}, false},
		{"chat", "", service.EventHandler{}, true},
		{"=http://h/", "", service.EventHandler{}, true},
		{"chat=ftp://h/", "", service.EventHandler{}, true},
		{"chat=http://h/;system-events=boot", "", service.EventHandler{}, true},
		{"chat=http://h/;presence-events=connect", "", service.EventHandler{}, true},
		{"chat=http://h/;colour=blue", "", service.EventHandler{}, true},
	}
	for _, tt := range tests {
		hub, h, err := parseHandler(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseHandler(%q) error = %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if err == nil && (hub != tt.wantHub || h.URLTemplate != tt.want.URLTemplate || h.UserEventPattern != tt.want.UserEventPattern ||
			!slices.Equal(h.SystemEvents, tt.want.SystemEvents) || !slices.Equal(h.GroupPresenceEvents, tt.want.GroupPresenceEvents)) {
			t.Errorf("parseHandler(%q) = %q %+v, want %q %+v", tt.spec, hub, h, tt.wantHub, tt.want)
		}
	}
}

func TestParseOptionsEnv(t *testing.T) {
	env := map[string]string{
		"WEBPUBSUB_EMULATOR_PORT":           "9999",
		"WEBPUBSUB_EMULATOR_ACCESS_KEY":     "envkey",
		"WEBPUBSUB_EMULATOR_EVENT_HANDLERS": "a=http://h/1 b=http://h/2",
		"WEBPUBSUB_EMULATOR_ANONYMOUS":      "a",
	}
	tests := []struct {
		name     string
		args     []string
		wantAddr string
		wantKey  string
		wantN    int
	}{
		{"env only", nil, "127.0.0.1:9999", "envkey", 2},
		{"flags win", []string{"-port", "1234", "-key", "k", "-event-handler", "c=http://h/3"}, "127.0.0.1:1234", "k", 1},
		{"addr flag", []string{"-addr", "127.0.0.1:0"}, "127.0.0.1:0", "envkey", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, func(k string) string { return env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if o.addr != tt.wantAddr || o.key != tt.wantKey || len(o.handlers) != tt.wantN || o.anonymous != "a" {
				t.Errorf("parseOptions = %+v", o)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", false},
		{[]string{"-insecure-accept-bearer-tokens"}, "", true},
		{nil, "true", true},
		{[]string{"-insecure-accept-bearer-tokens=false"}, "1", false},
	} {
		o, err := parseOptions(tc.args, func(k string) string {
			if k == "WEBPUBSUB_EMULATOR_INSECURE_ACCEPT_BEARER_TOKENS" {
				return tc.env
			}
			return ""
		}, io.Discard)
		if err != nil || o.insecureBearer != tc.want {
			t.Errorf("parseOptions(%q, env %q): insecureBearer %v, %v; want %v", tc.args, tc.env, o.insecureBearer, err, tc.want)
		}
	}
	if _, err := parseOptions(nil, func(k string) string {
		if k == "WEBPUBSUB_EMULATOR_INSECURE_ACCEPT_BEARER_TOKENS" {
			return "maybe"
		}
		return ""
	}, io.Discard); err == nil {
		t.Error("WEBPUBSUB_EMULATOR_INSECURE_ACCEPT_BEARER_TOKENS=maybe accepted")
	}
	if _, err := parseOptions([]string{"-port", "70000"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("port 70000 accepted")
	}
}

func TestRun(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hubs.json")
	if err := os.WriteFile(cfg, []byte(`[{"Hub":"open","AllowAnonymous":true}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-config", cfg, "-log-level", "debug"}, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "Endpoint=http://127.0.0.1:") {
		t.Fatalf("first line = %q, want the connection string", lines.Text())
	}
	cs, err := service.ParseConnectionString(lines.Text())
	if err != nil {
		t.Fatal(err)
	}
	if !lines.Scan() || lines.Text() != "webpubsub-emulator ready on "+strings.TrimSuffix(cs.Endpoint, "/") {
		t.Fatalf("second line = %q", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	u := "ws" + strings.TrimPrefix(strings.TrimSuffix(cs.Endpoint, "/"), "http") + "/client/hubs/open"
	c, _, err := websocket.Dial(t.Context(), u, nil)
	if err != nil {
		t.Fatalf("anonymous connect to the configured hub: %v", err)
	}
	defer c.CloseNow()
	if _, resp, err := websocket.Dial(t.Context(), strings.Replace(u, "open", "closed", 1), nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous connect to another hub succeeded or wrong status")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	if _, _, err := c.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("connection after stop: %v, want close 1000", err)
	}
}

// FuzzParseHandler: no spec panics; an accepted spec has an http(s) template and only known
// events.
func FuzzParseHandler(f *testing.F) {
	f.Add("chat=http://127.0.0.1:3000/{event};user-events=a,b;system-events=connect;presence-events=left")
	f.Add("=;;=")
	f.Add("h=https://x/;system-events=,,")
	f.Fuzz(func(t *testing.T, spec string) {
		hub, h, err := parseHandler(spec)
		if err != nil {
			return
		}
		if hub == "" || !(strings.HasPrefix(h.URLTemplate, "http://") || strings.HasPrefix(h.URLTemplate, "https://")) {
			t.Fatalf("parseHandler(%q) accepted hub %q template %q", spec, hub, h.URLTemplate)
		}
		for _, e := range h.SystemEvents {
			if !h.WantsSystemEvent(e) || (e != "connect" && e != "connected" && e != "disconnected") {
				t.Fatalf("parseHandler(%q) accepted system event %q", spec, e)
			}
		}
	})
}
