package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/internal/nodetest"
	"github.com/webpubsub-go/webpubsub/service"
)

// nodeLines starts a node script and returns a channel of its stdout JSON lines.
func nodeLines(t *testing.T, ctx context.Context, script string, env ...string) (<-chan map[string]any, *exec.Cmd) {
	t.Helper()
	cmd, _, stderr := nodetest.Command(ctx, t, script, env...)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", script, err)
	}
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"event": "unparsable", "line": sc.Text()}
			}
			lines <- m
		}
		close(lines)
	}()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(done)
	}()
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
		}
		<-done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", script, stderr.String())
		}
	})
	return lines, cmd
}

// nextLine returns the next line of a node script, failing on "error" lines and timeouts.
func nextLine(t *testing.T, lines <-chan map[string]any, want string) map[string]any {
	t.Helper()
	select {
	case m, ok := <-lines:
		if !ok {
			t.Fatalf("node script exited before %q", want)
		}
		if m["event"] != want {
			t.Fatalf("node script: got %v, want event %q", m, want)
		}
		return m
	case <-time.After(60 * time.Second):
		t.Fatalf("node script: no %q line within 60s", want)
	}
	return nil
}

// TestInteropJSClient runs the official JavaScript client against the emulator: a URL from our
// service client, join, group messages both ways, an event with a reply, and a forced
// reconnect in the middle of a stream of messages, with nothing lost or duplicated.
func TestInteropJSClient(t *testing.T) {
	nodetest.Require(t)
	up := newUpstream(t)
	up.setRespond(func(w http.ResponseWriter, ev event) {
		if ev.name() == "echo" {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write(append([]byte("echo:"), ev.body...))
		}
	})
	logs := &logBuffer{}
	s := startEmulator(t, Config{Logger: slog.New(slog.NewTextHandler(logs, nil))}, service.HubSettings{Hub: "chat", EventHandlers: []service.EventHandler{up.handler()}})
	sc, err := service.NewClientFromConnectionString(s.ConnectionString(), "chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tok, err := sc.ClientAccessToken(ctx, &service.ClientAccessTokenOptions{
		UserID: "js-user",
		Roles:  []string{"webpubsub.joinLeaveGroup.g", "webpubsub.sendToGroup.g"},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := nodeLines(t, ctx, "emulator-client.mjs", "EMU_URL="+tok.URL)
	ready := nextLine(t, lines, "ready")
	connID, _ := ready["connectionId"].(string)

	const n = 200
	for i := range n {
		if i == n/2 {
			if err := s.DropConnection("chat", connID); err != nil {
				t.Fatalf("DropConnection: %v", err)
			}
		}
		if _, err := sc.SendToGroup(ctx, "g", service.Text(fmt.Sprintf("m%d", i)), nil); err != nil {
			t.Fatalf("SendToGroup %d: %v", i, err)
		}
	}
	if _, err := sc.SendToGroup(ctx, "g", service.Text("done"), nil); err != nil {
		t.Fatal(err)
	}
	res := nextLine(t, lines, "result")

	if res["connected"] != 1.0 || res["disconnected"] != 0.0 || res["connectionId"] != connID || res["userId"] != "js-user" {
		t.Errorf("connection: %v (want one connection, recovered without a disconnect)", res)
	}
	group, _ := res["group"].([]any)
	if len(group) != n+1 {
		t.Fatalf("group messages: got %d, want %d", len(group), n+1)
	}
	first, _ := group[0].(map[string]any)
	if first["dataType"] != "json" || first["fromUserId"] != "js-user" || fmt.Sprint(first["data"]) != "map[hello:js]" {
		t.Errorf("own group message = %v", first)
	}
	for i := range n {
		m, _ := group[i+1].(map[string]any)
		if m["data"] != fmt.Sprintf("m%d", i) || m["dataType"] != "text" || m["group"] != "g" {
			t.Fatalf("group message %d = %v, want m%d (lost, duplicated or reordered)", i, m, i)
		}
	}
	server, _ := res["server"].([]any)
	if len(server) != 1 || fmt.Sprint(server[0]) != "map[data:echo:hi dataType:text]" {
		t.Errorf("server messages = %v, want the event reply", server)
	}
	if got := logs.count("connection recovered"); got != 1 {
		t.Errorf("recoveries logged = %d, want 1", got)
	}
	if ev := up.next("echo"); string(ev.body) != "hi" {
		t.Errorf("upstream event body = %q", ev.body)
	}
}
