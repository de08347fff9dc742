package emulator

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/webpubsub-go/webpubsub/internal/nodetest"
)

// runNode runs interop/emulator-rest.mjs with env and decodes its stdout into v.
func runNode(t *testing.T, v any, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd, stdout, stderr := nodetest.Command(ctx, t, "emulator-rest.mjs", env...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("node emulator-rest.mjs: %v\nstderr: %s\nstdout: %s", err, stderr, stdout)
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		t.Fatalf("node output %q: %v (stderr %s)", stdout, err, stderr)
	}
}

// collect reads a client's frames until its disconnected system message and the close;
// it returns the message frames and the disconnect reason.
func (c *restClient) collect(t *testing.T) ([]wantFrame, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var got []wantFrame
	reason := "<none>"
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("client %s: not closed within 20s (frames so far %+v)", c.id, got)
			}
			return got, reason
		}
		var f restFrame
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("client %s: %v in %s", c.id, err, b)
		}
		switch {
		case f.Type == "message":
			got = append(got, wantFrame{f.From, f.Group, f.DataType, f.text()})
		case f.Type == "system" && f.Event == "disconnected":
			reason = f.Message
		}
	}
}

// TestRESTInteropJSServiceClient runs every operation of the official JavaScript service
// client (@azure/web-pubsub, pinned in interop/package.json) against the emulator, with
// clients connected by URLs the JS SDK signed, and checks both the SDK's results and what
// the clients received.
func TestRESTInteropJSServiceClient(t *testing.T) {
	nodetest.Require(t)
	env := newRESTEnv(t, Config{})
	env.hub = "jsrest"
	base := []string{"WPS_CONNSTR=" + env.srv.ConnectionString(), "WPS_HUB=" + env.hub}

	var urls map[string]string
	runNode(t, &urls, append(base, "WPS_MODE=tokens")...)
	a, b, c, d := env.dialURL(urls["alice"]), env.dialURL(urls["bob"]), env.dialURL(urls["anon"]), env.dialURL(urls["dave"])
	if a.user != "alice" || b.user != "bob" || c.user != "" || d.user != "dave" {
		t.Fatalf("users %q %q %q %q from JS tokens", a.user, b.user, c.user, d.user)
	}

	var steps [][2]json.RawMessage
	runNode(t, &steps, append(base, "WPS_MODE=ops", "WPS_CONN_A="+a.id, "WPS_CONN_B="+b.id, "WPS_CONN_C="+c.id, "WPS_CONN_D="+d.id)...)

	sorted := func(s ...string) []any {
		slices.Sort(s)
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	httpErr := func(status int, code string) any {
		return map[string]any{"status": float64(status), "code": code, "header": code}
	}
	want := map[string]any{
		"connectionExists": true, "connectionExists unknown": false,
		"userExists": true, "userExists unknown": false,
		"groupExists": true, "groupExists unknown": false,
		"addConnection unknown": httpErr(404, "Error.Connection.NotExisted"),
		"addUser unknown":       httpErr(404, "Warning.User.NotExisted"),
		"listConnections":       sorted(a.id+"/alice", b.id+"/bob"),
		"listConnections empty": []any{},
		"groupExists room":      false, "groupExists x": false, "groupExists lobby": false, "groupExists lobby again": false,
		"hasPermission role": true, "hasPermission granted": true, "hasPermission revoked": false,
		"grantPermission unknown":    httpErr(404, "Info.Connection.NotExisted"),
		"revokePermission no target": httpErr(400, "Error.BadRequest"),
		// JS 1.2.0 leaves RestError.code unset for application/problem+json bodies (the
		// real service sends this content type too); the header carries the code.
		"sendToAll bad filter":   map[string]any{"status": float64(400), "code": nil, "header": "Error.BadRequest"},
		"userExists after close": false,
	}
	seen := map[string]bool{}
	for _, s := range steps {
		var name string
		var got any
		if err := json.Unmarshal(s[0], &name); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(s[1], &got); err != nil {
			t.Fatal(err)
		}
		seen[name] = true
		w, ok := want[name]
		if !ok {
			w = nil // operations without a result succeed with no value
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("JS %s = %v, want %v", name, got, w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("JS step %q did not run", name)
		}
	}
	if len(steps) != 50 {
		t.Errorf("JS ran %d steps, want 50", len(steps))
	}

	srv := func(dataType, data string) wantFrame { return wantFrame{"server", "", dataType, data} }
	grp := func(g, data string) wantFrame { return wantFrame{"group", g, "text", data} }
	common := []wantFrame{srv("text", "hello"), srv("json", `{"a":1}`), srv("binary", "AQID")}
	frames := map[*restClient][]wantFrame{
		a: append(slices.Clone(common), srv("text", "ex"), srv("text", "f"), grp("lobby", "g"), grp("room", "r")),
		b: append(slices.Clone(common), srv("text", "u"), grp("room", "r")),
		c: append(slices.Clone(common), srv("text", "ex"), srv("text", "c"), grp("x", "x")),
		d: append(slices.Clone(common), srv("text", "ex")),
	}
	reasons := map[*restClient]string{a: "bye g", b: "bye bob", c: "bye c", d: "bye all"}
	for _, cl := range []*restClient{a, b, c, d} {
		got, reason := cl.collect(t)
		if !slices.Equal(got, frames[cl]) {
			t.Errorf("client %s (%q) received\n %+v\nwant\n %+v", cl.id, cl.user, got, frames[cl])
		}
		if reason != reasons[cl] {
			t.Errorf("client %s (%q) disconnect reason %q, want %q", cl.id, cl.user, reason, reasons[cl])
		}
	}
}

// TestRESTInteropJSGenerateToken drives the JS SDK's Entra ID path of getClientAccessToken,
// which calls :generateToken, against the emulator on https (the SDK sends bearer tokens
// over TLS only; Node trusts the test certificate through NODE_EXTRA_CA_CERTS). The
// returned URLs must connect with the user and groups asked for.
func TestRESTInteropJSGenerateToken(t *testing.T) {
	nodetest.Require(t)
	ts := httptest.NewUnstartedServer(nil)
	e, err := New(&Config{Endpoint: "https://" + ts.Listener.Addr().String(), AccessKey: restTestKey})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = e
	ts.StartTLS()
	t.Cleanup(ts.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(caFile, pemCert, 0o600); err != nil {
		t.Fatal(err)
	}

	var got map[string]any
	runNode(t, &got, "WPS_MODE=dac", "WPS_CONNSTR="+e.ConnectionString(), "WPS_HUB=jsdac", "NODE_EXTRA_CA_CERTS="+caFile)

	if want := map[string]any{"status": float64(400), "header": "Error.BadRequest"}; !reflect.DeepEqual(got["socketio"], want) {
		t.Errorf("socketio token = %v, want %v", got["socketio"], want)
	}
	mqtt, _ := got["mqtt"].(string)
	if !strings.Contains(mqtt, "/clients/mqtt/hubs/jsdac?access_token=") {
		t.Errorf("mqtt URL %q", mqtt)
	}
	u, _ := got["default"].(string)
	if !strings.HasPrefix(u, "wss://"+ts.Listener.Addr().String()+"/client/hubs/jsdac?access_token=") {
		t.Fatalf("default URL %q", u)
	}
	ws, _, err := websocket.Dial(t.Context(), u, &websocket.DialOptions{HTTPClient: ts.Client(), Subprotocols: []string{"json.webpubsub.azure.v1"}})
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	defer ws.CloseNow()
	c := &restClient{ws: ws}
	if m := c.next(t); m.Event != "connected" || m.UserID != "erin" {
		t.Errorf("connected message %+v, want user erin", m)
	}
	if !e.hub("jsdac").groupExists("lobby") {
		t.Error("the generateToken group claim did not join lobby")
	}
}
