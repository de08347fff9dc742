//go:build unix

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestReadmeRunCommandParse(t *testing.T) {
	tests := []struct {
		name    string
		readme  string
		want    string
		wantErr bool
	}{
		{"one", "# x\n```sh\ngo run ./examples/chat\n```\n", "go run ./examples/chat", false},
		{"same twice", "```sh\ngo run ./examples/chat\n```\ntext\n```\ngo run ./examples/chat\n```\n", "go run ./examples/chat", false},
		{"outside code is prose", "run `go run ./examples/chat` now\n", "", true},
		{"different commands", "```\ngo run ./examples/chat\n```\n```\ngo run ./examples/chat -v\n```\n", "", true},
		{"none", "```sh\n./scripts/test.sh\n```\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readmeRunCommand(tt.readme)
			if (err != nil) != tt.wantErr {
				t.Fatalf("readmeRunCommand() error = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("readmeRunCommand() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestReadmeRunCommand runs the README's command as written (see startChat), fetches the page,
// negotiates a client access URL and connects to it with the page's subprotocol.
func TestReadmeRunCommand(t *testing.T) {
	app := startChat(t)
	t.Logf("ran %q: %s", app.Command, app.URL)
	client := &http.Client{Timeout: 30 * time.Second}

	t.Run("page", func(t *testing.T) {
		for _, path := range []string{"", "app.js", "style.css"} {
			res, err := client.Get(app.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET /%s = %d, want 200", path, res.StatusCode)
			}
			if path == "" && !strings.Contains(string(body), `id="signin"`) {
				t.Errorf("GET / does not serve the chat page:\n%s", body)
			}
		}
	})

	t.Run("negotiate and connect", func(t *testing.T) {
		q := url.Values{"name": {"readme"}, "room": {"lobby"}, "attempt": {"t1"}}
		res, err := client.Get(app.URL + "negotiate?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
			t.Fatalf("GET /negotiate = %d %s, want 200", res.StatusCode, body)
		}
		var neg struct {
			URL string `json:"url"`
		}
		if err := json.NewDecoder(res.Body).Decode(&neg); err != nil {
			t.Fatalf("decoding the negotiate answer: %v", err)
		}
		u, err := url.Parse(neg.URL)
		if err != nil || u.Scheme != "ws" || u.Hostname() != "127.0.0.1" || u.Query().Get("access_token") == "" {
			t.Fatalf("negotiated URL = %q, want ws://127.0.0.1:…/client/hubs/…?access_token=…", neg.URL)
		}

		ctx := waitCtx(t, 30*time.Second)
		conn, _, err := websocket.Dial(ctx, neg.URL, &websocket.DialOptions{Subprotocols: []string{"json.webpubsub.azure.v1"}})
		if err != nil {
			t.Fatalf("dialing the negotiated URL: %v\napp output:\n%s", err, app.Output())
		}
		defer conn.CloseNow()
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("reading the first message: %v", err)
		}
		var sys struct {
			Type, Event, UserID, ConnectionID string
		}
		if err := json.Unmarshal(data, &sys); err != nil {
			t.Fatalf("first message %s: %v", data, err)
		}
		if sys.Type != "system" || sys.Event != "connected" || sys.UserID != "readme" || sys.ConnectionID == "" {
			t.Errorf("first message = %s, want a connected system message for user readme", data)
		}
		_ = conn.Close(websocket.StatusNormalClosure, "done")
	})

	t.Run("negotiate rejects a bad name", func(t *testing.T) {
		res, err := client.Get(app.URL + "negotiate?name=&room=lobby")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "name") {
			t.Errorf("GET /negotiate?name= = %d %s, want 400 naming the problem", res.StatusCode, body)
		}
	})
}
