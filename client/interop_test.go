package client_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/client"
	"github.com/webpubsub-go/webpubsub/internal/nodetest"
)

// TestInteropWithJSClient exchanges text, JSON and binary group messages, both ways, between
// this client and @azure/web-pubsub-client 1.1.0 (interop/client-interop.mjs) through the
// emulator.
func TestInteropWithJSClient(t *testing.T) {
	nodetest.Require(t)
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	roles := []string{"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}
	c, ev := newClient(t, e.url(t, "go", roles...), nil)
	start(t, c, ev)
	if _, err := c.JoinGroup(ctx, "interop", nil); err != nil {
		t.Fatal(err)
	}
	cmd, stdout, stderr := nodetest.Command(ctx, t, "client-interop.mjs", "URL="+e.url(t, "js", roles...), "GROUP=interop")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nodeDone := make(chan error, 1)
	go func() { nodeDone <- cmd.Wait() }()

	if got := next(t, ev.group, "ready from JS"); got.FromUserID != "js" || got.Data.Text() != "ready" || got.Data.DataType() != client.DataTypeText {
		t.Fatalf("first message = %+v, want text ready from js", got)
	}
	sent := []client.Message{client.Text("from go ✓"), client.JSON(map[string]any{"from": "go", "n": []int{1, 2}}), client.Binary([]byte{0, 1, 254, 255})}
	for _, m := range sent {
		if _, err := c.SendToGroup(ctx, "interop", m, &client.SendToGroupOptions{NoEcho: true}); err != nil {
			t.Fatal(err)
		}
	}
	wantFromJS := []client.Message{client.Text("from js"), client.RawJSON([]byte(`{"from":"js","n":[1,2]}`)), client.Binary([]byte{0, 1, 254, 255})}
	for i, want := range wantFromJS {
		got := next(t, ev.group, "message from JS")
		if got.FromUserID != "js" || got.Group != "interop" || got.Data.DataType() != want.DataType() {
			t.Errorf("message %d from JS = %+v, want %v", i, got, want)
			continue
		}
		if want.DataType() == client.DataTypeJSON {
			var a, b any
			_ = json.Unmarshal(got.Data.Bytes(), &a)
			_ = json.Unmarshal(want.Bytes(), &b)
			if !jsonEqual(a, b) {
				t.Errorf("JSON from JS = %s, want %s", got.Data.Bytes(), want.Bytes())
			}
		} else if !bytes.Equal(got.Data.Bytes(), want.Bytes()) {
			t.Errorf("message %d from JS = %v, want %v", i, got.Data, want)
		}
	}
	if err := next(t, nodeDone, "node exit"); err != nil {
		t.Fatalf("node: %v\n%s", err, stderr)
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("JS printed %d lines, want 3:\n%s\n%s", len(lines), stdout, stderr)
	}
	for i, line := range lines {
		var got struct {
			DataType   string          `json:"dataType"`
			Data       json.RawMessage `json:"data"`
			Group      string          `json:"group"`
			FromUserID string          `json:"fromUserId"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("JS line %q: %v", line, err)
		}
		want := sent[i]
		if got.DataType != string(want.DataType()) || got.Group != "interop" || got.FromUserID != "go" {
			t.Errorf("JS received %s, want %v from go in interop", line, want)
			continue
		}
		var ok bool
		switch want.DataType() {
		case client.DataTypeText:
			var s string
			ok = json.Unmarshal(got.Data, &s) == nil && s == want.Text()
		case client.DataTypeJSON:
			var a, b any
			ok = json.Unmarshal(got.Data, &a) == nil && json.Unmarshal(want.Bytes(), &b) == nil && jsonEqual(a, b)
		case client.DataTypeBinary:
			var s string
			_ = json.Unmarshal(got.Data, &s)
			b, err := base64.StdEncoding.DecodeString(s)
			ok = err == nil && bytes.Equal(b, want.Bytes())
		}
		if !ok {
			t.Errorf("JS received %s, want %v", line, want)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
