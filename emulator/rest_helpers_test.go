package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/webpubsub-go/webpubsub/service"
)

const restTestKey = "rest-test-key-0123456789abcdef"

// restEnv is an emulator on loopback plus helpers to call its REST API and connect
// WebSocket clients.
type restEnv struct {
	t   *testing.T
	srv *Server
	hub string
}

func newRESTEnv(t *testing.T, cfg Config, hubs ...service.HubSettings) *restEnv {
	t.Helper()
	if cfg.AccessKey == "" {
		cfg.AccessKey = restTestKey
	}
	cfg.Hubs = append(cfg.Hubs, hubs...)
	s, err := Start(t.Context(), &cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &restEnv{t: t, srv: s, hub: "chat"}
}

// restToken signs an access-key JWT for the REST API with aud = audience.
func restToken(t testing.TB, key, audience string, exp time.Duration) string {
	t.Helper()
	claims := jwt.MapClaims{"aud": audience, "exp": time.Now().Add(exp).Unix(), "iat": time.Now().Unix()}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// restResponse is a REST answer with its body read.
type restResponse struct {
	status int
	header http.Header
	body   []byte
}

// call sends method pathAndQuery (relative to the endpoint, e.g.
// "/api/hubs/chat/:send?api-version=2024-12-01") signed like the SDKs (aud = full URL).
func (r *restEnv) call(method, pathAndQuery, contentType string, body []byte) restResponse {
	r.t.Helper()
	u := r.srv.URL() + pathAndQuery
	return r.callWith(method, u, contentType, body, http.Header{"Authorization": {"Bearer " + restToken(r.t, restTestKey, u, time.Hour)}})
}

func (r *restEnv) callWith(method, u, contentType string, body []byte, h http.Header) restResponse {
	r.t.Helper()
	req, err := http.NewRequestWithContext(r.t.Context(), method, u, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: reading body: %v", method, u, err)
	}
	return restResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// api returns "/api/hubs/<hub>" + rest + "?api-version=2024-12-01" (+ "&" + query).
func (r *restEnv) api(rest, query string) string {
	p := "/api/hubs/" + r.hub + rest + "?api-version=2024-12-01"
	if query != "" {
		p += "&" + query
	}
	return p
}

// wantStatus fails the test unless resp has status.
func (resp restResponse) wantStatus(t *testing.T, what string, status int) {
	t.Helper()
	if resp.status != status {
		t.Fatalf("%s: status %d, want %d; body %s", what, resp.status, status, resp.body)
	}
}

// restClient is a WebSocket client on json.webpubsub.azure.v1.
type restClient struct {
	ws   *websocket.Conn
	id   string
	user string
}

// restFrame is a service→client JSON frame.
type restFrame struct {
	Type         string          `json:"type"`
	Event        string          `json:"event"`
	ConnectionID string          `json:"connectionId"`
	UserID       string          `json:"userId"`
	Message      string          `json:"message"`
	From         string          `json:"from"`
	Group        string          `json:"group"`
	DataType     string          `json:"dataType"`
	Data         json.RawMessage `json:"data"`
}

// connect opens a client for user (""= no user) in groups, with roles.
func (r *restEnv) connect(user string, groups, roles []string) *restClient {
	r.t.Helper()
	claims := jwt.MapClaims{"aud": r.srv.URL() + "/client/hubs/" + r.hub, "exp": time.Now().Add(time.Hour).Unix()}
	if user != "" {
		claims["sub"] = user
	}
	if groups != nil {
		claims["webpubsub.group"] = groups
	}
	if roles != nil {
		claims["role"] = roles
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(restTestKey))
	if err != nil {
		r.t.Fatal(err)
	}
	return r.dialToken(tok, "/client/hubs/"+r.hub)
}

// dialToken connects to path with access token tok and reads the connected message.
func (r *restEnv) dialToken(tok, path string) *restClient {
	r.t.Helper()
	return r.dialURL("ws" + strings.TrimPrefix(r.srv.URL(), "http") + path + "?access_token=" + url.QueryEscape(tok))
}

// dialURL connects to the client URL u and reads the connected message.
func (r *restEnv) dialURL(u string) *restClient {
	r.t.Helper()
	ws, resp, err := websocket.Dial(r.t.Context(), u, &websocket.DialOptions{Subprotocols: []string{"json.webpubsub.azure.v1"}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		r.t.Fatalf("dial %s: %v (status %d)", u, err, status)
	}
	ws.SetReadLimit(-1)
	r.t.Cleanup(func() { _ = ws.CloseNow() })
	c := &restClient{ws: ws}
	m := c.next(r.t)
	if m.Type != "system" || m.Event != "connected" || m.ConnectionID == "" {
		r.t.Fatalf("first frame = %+v, want system connected", m)
	}
	c.id, c.user = m.ConnectionID, m.UserID
	return c
}

// next reads the next frame within 10 s.
func (c *restClient) next(t *testing.T) restFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		t.Fatalf("client %s: read: %v", c.id, err)
	}
	var f restFrame
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("client %s: %v in %s", c.id, err, b)
	}
	return f
}

// nextMessage reads the next frame and requires a message frame; it returns its data
// (JSON-decoded when it is a JSON string) and from/group.
func (c *restClient) nextMessage(t *testing.T) restFrame {
	t.Helper()
	f := c.next(t)
	if f.Type != "message" {
		t.Fatalf("client %s: got %+v, want a message", c.id, f)
	}
	return f
}

// text returns the frame's data as a string (the JSON string for text and binary data, the
// raw JSON for json data).
func (f restFrame) text() string {
	if f.DataType == "json" {
		return string(f.Data)
	}
	var s string
	_ = json.Unmarshal(f.Data, &s)
	return s
}
