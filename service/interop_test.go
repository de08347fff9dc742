package service

import (
	"context"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webpubsub-go/webpubsub/internal/nodetest"
)

// goInteropCalls is the Go twin of the call sequence in interop/service-js.mjs.
func goInteropCalls(ctx context.Context, c *Client) error {
	steps := []func() error{
		func() error {
			_, err := c.SendToAll(ctx, Text("hello"), &SendToAllOptions{Excluded: []string{"c1", "c2"}, Filter: "userId eq 'u1'", MessageTTLSeconds: 30})
			return err
		},
		func() error { _, err := c.SendToAll(ctx, JSON(map[string]int{"a": 1}), nil); return err },
		func() error { _, err := c.SendToAll(ctx, Binary([]byte{0, 1, 2, 255}), nil); return err },
		func() error {
			_, err := c.SendToGroup(ctx, "a/b c", Text("hi"), &SendToGroupOptions{Excluded: []string{"c1"}, Filter: "userId eq 'u1'", MessageTTLSeconds: 30})
			return err
		},
		func() error {
			_, err := c.SendToUser(ctx, "user 1", Text("x"), &SendToUserOptions{Filter: "connectionId ne 'c'", MessageTTLSeconds: 300})
			return err
		},
		func() error {
			_, err := c.SendToConnection(ctx, "conn1", JSON(map[string]string{"k": "v"}), &SendToConnectionOptions{MessageTTLSeconds: 1})
			return err
		},
		func() error {
			_, err := c.CloseAllConnections(ctx, &CloseAllConnectionsOptions{Excluded: []string{"c1", "c2"}, Reason: "bye now"})
			return err
		},
		func() error {
			_, err := c.CloseGroupConnections(ctx, "g1", &CloseGroupConnectionsOptions{Excluded: []string{"c1"}, Reason: "r"})
			return err
		},
		func() error {
			_, err := c.CloseUserConnections(ctx, "u1", &CloseUserConnectionsOptions{Excluded: []string{"c1"}, Reason: "r"})
			return err
		},
		func() error {
			_, err := c.CloseConnection(ctx, "conn1", &CloseConnectionOptions{Reason: "kicked"})
			return err
		},
		func() error { _, err := c.AddConnectionToGroup(ctx, "g1", "conn1", nil); return err },
		func() error { _, err := c.RemoveConnectionFromGroup(ctx, "g1", "conn1", nil); return err },
		func() error { _, err := c.RemoveConnectionFromAllGroups(ctx, "conn1", nil); return err },
		func() error { _, err := c.AddUserToGroup(ctx, "g1", "u1", nil); return err },
		func() error { _, err := c.RemoveUserFromGroup(ctx, "g1", "u1", nil); return err },
		func() error { _, err := c.RemoveUserFromAllGroups(ctx, "u1", nil); return err },
		func() error {
			_, err := c.AddConnectionsToGroups(ctx, []string{"g1", "g2"}, "userId eq 'u1'", nil)
			return err
		},
		func() error {
			_, err := c.RemoveConnectionsFromGroups(ctx, []string{"g1"}, "userId eq 'u1'", nil)
			return err
		},
		func() error {
			_, err := c.GrantPermission(ctx, PermissionJoinLeaveGroup, "conn1", "g1", nil)
			return err
		},
		func() error { _, err := c.RevokePermission(ctx, PermissionSendToGroup, "conn1", "g1", nil); return err },
		func() error { _, err := c.CheckPermission(ctx, PermissionSendToGroup, "conn1", "g1", nil); return err },
		func() error { _, err := c.ConnectionExists(ctx, "conn1", nil); return err },
		func() error { _, err := c.UserExists(ctx, "u1", nil); return err },
		func() error { _, err := c.GroupExists(ctx, "g1", nil); return err },
		func() error {
			p := c.ListConnectionsInGroup("g1", &ListConnectionsInGroupOptions{MaxPageSize: 2, Top: 5})
			for p.More() {
				if _, err := p.NextPage(ctx); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// interopService answers like the service: JSON for listings, 200/202/204 otherwise.
func interopService(t *testing.T) (*httptest.Server, func() []captured) {
	var mu sync.Mutex
	var reqs []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 0, 64)
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil {
				break
			}
		}
		mu.Lock()
		reqs = append(reqs, captured{Method: r.Method, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Query: r.URL.Query(),
			Header: r.Header.Clone(), Body: b, URL: "http://" + r.Host + r.RequestURI, ContentLen: r.ContentLength})
		mu.Unlock()
		switch {
		case r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write([]byte(`{"value":[{"connectionId":"c1","userId":null}]}`))
		case strings.HasSuffix(r.URL.Path, "/:send"):
			w.WriteHeader(http.StatusAccepted)
		case r.Method == http.MethodDelete || strings.HasSuffix(r.URL.Path, "/:closeConnections"):
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []captured { mu.Lock(); defer mu.Unlock(); return slices.Clone(reqs) }
}

func TestInteropWithJSSDK(t *testing.T) {
	nodetest.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	tokenOpts := []struct {
		js  map[string]any
		go_ *ClientAccessTokenOptions
	}{
		{map[string]any{}, nil},
		{map[string]any{"userId": "u1", "roles": []string{"webpubsub.joinLeaveGroup.g1", "webpubsub.sendToGroup"}, "groups": []string{"g1", "g 2"}, "expirationTimeInMinutes": 10},
			&ClientAccessTokenOptions{UserID: "u1", Roles: []string{"webpubsub.joinLeaveGroup.g1", "webpubsub.sendToGroup"}, Groups: []string{"g1", "g 2"}, ExpiresAfter: 10 * time.Minute}},
		{map[string]any{"clientProtocol": "mqtt", "userId": "m1"}, &ClientAccessTokenOptions{ClientProtocol: ClientProtocolMQTT, UserID: "m1"}},
		{map[string]any{"clientProtocol": "socketio"}, &ClientAccessTokenOptions{ClientProtocol: ClientProtocolSocketIO}},
	}
	var jsOpts []map[string]any
	for _, o := range tokenOpts {
		jsOpts = append(jsOpts, o.js)
	}
	optsJSON, _ := json.Marshal(jsOpts)

	// JS against one fake service, Go against another.
	jsSrv, jsReqs := interopService(t)
	connStr := "Endpoint=" + jsSrv.URL + ";AccessKey=" + testKey + ";Version=1.0;"
	// http, because JS keeps the service scheme and swaps only host and port.
	const serviceEndpoint = "http://contoso.webpubsub.azure.com"
	proxiedConnStr := "Endpoint=" + serviceEndpoint + ";AccessKey=" + testKey + ";Version=1.0;"
	cmd, stdout, stderr := nodetest.Command(ctx, t, "service-js.mjs", "WPS_CONNSTR="+connStr, "WPS_HUB=hub1", "WPS_TOKEN_OPTIONS="+string(optsJSON),
		"WPS_PROXIED_CONNSTR="+proxiedConnStr, "WPS_PROXY="+jsSrv.URL)
	if err := cmd.Run(); err != nil {
		t.Fatalf("node service-js.mjs: %v\n%s", err, stderr)
	}
	var jsOut struct {
		Tokens []struct {
			Token   string `json:"token"`
			BaseURL string `json:"baseUrl"`
			URL     string `json:"url"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &jsOut); err != nil {
		t.Fatalf("node output %q: %v", stdout, err)
	}

	goSrv, goReqs := interopService(t)
	c := newTestClient(t, goSrv.URL, nil)
	if err := goInteropCalls(ctx, c); err != nil {
		t.Fatal(err)
	}
	proxied, err := NewClientFromConnectionString(proxiedConnStr, "hub1", &ClientOptions{ReverseProxyEndpoint: goSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proxied.SendToAll(ctx, Text("via proxy"), &SendToAllOptions{Excluded: []string{"c1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := proxied.AddConnectionToGroup(ctx, "g1", "conn1", nil); err != nil {
		t.Fatal(err)
	}

	// Same requests, in the same order.
	js, gos := jsReqs(), goReqs()
	if len(js) != len(gos) {
		t.Fatalf("JS sent %d requests, Go %d", len(js), len(gos))
	}
	for i := range js {
		j, g := js[i], gos[i]
		if j.Method != g.Method || j.EscapedPath != g.EscapedPath {
			t.Errorf("#%d: Go %s %s, JS %s %s", i, g.Method, g.EscapedPath, j.Method, j.EscapedPath)
			continue
		}
		if !maps.EqualFunc(j.Query, g.Query, slices.Equal) {
			t.Errorf("#%d %s %s: Go query %v, JS %v", i, g.Method, g.EscapedPath, g.Query, j.Query)
		}
		jt, _, _ := mime.ParseMediaType(j.Header.Get("Content-Type"))
		gt, _, _ := mime.ParseMediaType(g.Header.Get("Content-Type"))
		if jt != gt {
			t.Errorf("#%d %s: Go Content-Type %q, JS %q", i, g.EscapedPath, g.Header.Get("Content-Type"), j.Header.Get("Content-Type"))
		}
		if string(j.Body) != string(g.Body) && !equalJSONBytes(j.Body, g.Body) {
			t.Errorf("#%d %s: Go body %q, JS %q", i, g.EscapedPath, g.Body, j.Body)
		}
		if (j.Header.Get("Content-Length") == "0") != (g.Header.Get("Content-Length") == "0") && g.Method != http.MethodHead && g.Method != http.MethodGet && g.Method != http.MethodDelete {
			t.Errorf("#%d %s: Go Content-Length %q, JS %q", i, g.EscapedPath, g.Header.Get("Content-Length"), j.Header.Get("Content-Length"))
		}
		jc := verifyJWT(t, j.Header.Get("Authorization"), testKey)
		gc := verifyJWT(t, g.Header.Get("Authorization"), testKey)
		// The audience is the request URL, or behind the proxy the service URL.
		wantJS, wantGo := j.URL, g.URL
		if i >= len(js)-2 {
			wantJS = serviceEndpoint + strings.TrimPrefix(j.URL, jsSrv.URL)
			wantGo = serviceEndpoint + strings.TrimPrefix(g.URL, goSrv.URL)
		}
		if jc["aud"] != wantJS || gc["aud"] != wantGo {
			t.Errorf("#%d: aud Go %v (want %s), JS %v (want %s)", i, gc["aud"], wantGo, jc["aud"], wantJS)
		}
		if jk, gk := slices.Sorted(maps.Keys(jc)), slices.Sorted(maps.Keys(gc)); !slices.Equal(jk, gk) {
			t.Errorf("#%d: claims Go %v, JS %v", i, gk, jk)
		}
	}

	// Client access tokens from the same key decode to the same claims.
	jsClient := newTestClient(t, jsSrv.URL, nil)
	if len(jsOut.Tokens) != len(tokenOpts) {
		t.Fatalf("JS returned %d tokens, want %d", len(jsOut.Tokens), len(tokenOpts))
	}
	for i, o := range tokenOpts {
		goTok, err := jsClient.ClientAccessToken(ctx, o.go_)
		if err != nil {
			t.Fatal(err)
		}
		jt := jsOut.Tokens[i]
		if goTok.BaseURL != jt.BaseURL || goTok.URL != goTok.BaseURL+"?access_token="+goTok.Token || jt.URL != jt.BaseURL+"?access_token="+jt.Token {
			t.Errorf("token %d: Go URL %q, JS %q", i, goTok.URL, jt.URL)
		}
		jc := verifyJWT(t, "Bearer "+jt.Token, testKey)
		gc := verifyJWT(t, "Bearer "+goTok.Token, testKey)
		for _, cl := range []jwtClaims{jc, gc} {
			exp, _ := cl.GetExpirationTime()
			iat, _ := cl.GetIssuedAt()
			cl["lifetime"] = exp.Sub(iat.Time).String()
			delete(cl, "exp")
			delete(cl, "iat")
		}
		if !equalJSON(jc, gc) {
			t.Errorf("token %d (%v): Go claims %v, JS %v", i, o.js, gc, jc)
		}
	}
}
