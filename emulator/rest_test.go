package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// delivery is what one client should receive: from, group, dataType and data text.
type wantFrame struct{ from, group, dataType, data string }

// expectDeliveries checks that each client received exactly want[client] (in order) and
// nothing else: a sentinel broadcast follows, and every frame before it counts. Per
// connection ordering makes this exact without waiting for "nothing".
func (r *restEnv) expectDeliveries(t *testing.T, clients []*restClient, want map[*restClient][]wantFrame, step int) {
	t.Helper()
	sentinel := fmt.Sprintf("sentinel-%d", step)
	r.call(http.MethodPost, r.api("/:send", ""), "text/plain", []byte(sentinel)).wantStatus(t, "sentinel", http.StatusAccepted)
	for _, c := range clients {
		var got []wantFrame
		for {
			f := c.nextMessage(t)
			if f.DataType == "text" && f.text() == sentinel {
				break
			}
			got = append(got, wantFrame{f.From, f.Group, f.DataType, f.text()})
		}
		if !slices.Equal(got, want[c]) {
			t.Errorf("client %s (user %q) got %+v, want %+v", c.id, c.user, got, want[c])
		}
	}
}

func TestRESTSendsReachClients(t *testing.T) {
	env := newRESTEnv(t, Config{})
	a := env.connect("u1", []string{"g1"}, nil)
	b := env.connect("u2", []string{"g1", "g2"}, nil)
	c := env.connect("", nil, nil)
	d := env.connect("u1", nil, nil)
	all := []*restClient{a, b, c, d}
	text := func(s string) wantFrame { return wantFrame{"server", "", "text", s} }

	tests := []struct {
		name        string
		path, query string
		contentType string
		body        string
		want        map[*restClient][]wantFrame
	}{
		{"all text", "/:send", "", "text/plain", "hi",
			map[*restClient][]wantFrame{a: {text("hi")}, b: {text("hi")}, c: {text("hi")}, d: {text("hi")}}},
		{"all text with charset and ttl", "/:send", "messageTtlSeconds=60", "text/plain; charset=utf-8", "ttl",
			map[*restClient][]wantFrame{a: {text("ttl")}, b: {text("ttl")}, c: {text("ttl")}, d: {text("ttl")}}},
		{"all excluded", "/:send", "excluded=" + a.id + "&excluded=" + c.id, "text/plain", "ex",
			map[*restClient][]wantFrame{b: {text("ex")}, d: {text("ex")}}},
		{"all filter user", "/:send", "filter=" + url.QueryEscape("userId eq 'u1'"), "text/plain", "f1",
			map[*restClient][]wantFrame{a: {text("f1")}, d: {text("f1")}}},
		{"all filter group", "/:send", "filter=" + url.QueryEscape("'g2' in groups"), "text/plain", "f2",
			map[*restClient][]wantFrame{b: {text("f2")}}},
		{"all filter anonymous", "/:send", "filter=" + url.QueryEscape("userId eq null"), "text/plain", "f3",
			map[*restClient][]wantFrame{c: {text("f3")}}},
		{"all filter and excluded", "/:send", "excluded=" + d.id + "&filter=" + url.QueryEscape("userId eq 'u1'"), "text/plain", "f4",
			map[*restClient][]wantFrame{a: {text("f4")}}},
		{"all json", "/:send", "", "application/json", `{"x":1}`,
			map[*restClient][]wantFrame{a: {{"server", "", "json", `{"x":1}`}}, b: {{"server", "", "json", `{"x":1}`}}, c: {{"server", "", "json", `{"x":1}`}}, d: {{"server", "", "json", `{"x":1}`}}}},
		{"group json", "/groups/g1/:send", "", "application/json", `"quoted"`,
			map[*restClient][]wantFrame{a: {{"group", "g1", "json", `"quoted"`}}, b: {{"group", "g1", "json", `"quoted"`}}}},
		{"group excluded", "/groups/g1/:send", "excluded=" + a.id, "text/plain", "gx",
			map[*restClient][]wantFrame{b: {{"group", "g1", "text", "gx"}}}},
		{"group filter", "/groups/g1/:send", "filter=" + url.QueryEscape("userId ne 'u2'"), "text/plain", "gf",
			map[*restClient][]wantFrame{a: {{"group", "g1", "text", "gf"}}}},
		{"group unknown", "/groups/nobody/:send", "", "text/plain", "none", nil},
		{"group escaped name", "/groups/a%2Fb/:send", "", "text/plain", "none", nil},
		{"user binary", "/users/u1/:send", "", "application/octet-stream", "\x01\x02\x03",
			map[*restClient][]wantFrame{a: {{"server", "", "binary", "AQID"}}, d: {{"server", "", "binary", "AQID"}}}},
		{"user filter", "/users/u1/:send", "filter=" + url.QueryEscape("connectionId eq '"+d.id+"'"), "text/plain", "uf",
			map[*restClient][]wantFrame{d: {text("uf")}}},
		{"user unknown", "/users/nobody/:send", "", "text/plain", "none", nil},
		{"connection", "/connections/" + c.id + "/:send", "", "text/plain", "direct",
			map[*restClient][]wantFrame{c: {text("direct")}}},
		{"connection unknown", "/connections/nope/:send", "", "text/plain", "none", nil},
		{"empty text", "/connections/" + b.id + "/:send", "", "text/plain", "",
			map[*restClient][]wantFrame{b: {text("")}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.call(http.MethodPost, env.api(tt.path, tt.query), tt.contentType, []byte(tt.body)).wantStatus(t, tt.name, http.StatusAccepted)
			env.expectDeliveries(t, all, tt.want, i)
		})
	}
}

// expectClosed reads until the client sees the disconnected system message with reason and
// the close; other frames are skipped.
func (c *restClient) expectClosed(t *testing.T, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	sawDisconnected := false
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled) && ctx.Err() != nil {
				t.Fatalf("client %s: not closed within 10s", c.id)
			}
			break
		}
		var f restFrame
		if json.Unmarshal(b, &f) == nil && f.Type == "system" && f.Event == "disconnected" {
			sawDisconnected = true
			if f.Message != reason {
				t.Errorf("client %s: disconnected message %q, want %q", c.id, f.Message, reason)
			}
		}
	}
	if !sawDisconnected {
		t.Errorf("client %s: closed without a disconnected system message", c.id)
	}
}

// head returns the status and x-ms-error-code of a HEAD request.
func (r *restEnv) head(path, query string) (int, string) {
	resp := r.call(http.MethodHead, r.api(path, query), "", nil)
	return resp.status, resp.header.Get(headerErrorCode)
}

func TestRESTGroupOperations(t *testing.T) {
	env := newRESTEnv(t, Config{})
	a := env.connect("u1", nil, nil)
	b := env.connect("u2", nil, nil)
	c := env.connect("u2", nil, nil)
	all := []*restClient{a, b, c}
	g := func(group, s string) wantFrame { return wantFrame{"group", group, "text", s} }

	steps := []struct {
		name       string
		method     string
		path       string
		query      string
		body       string
		wantStatus int
		// then a text message to group sendTo; want lists the receivers
		sendTo string
		want   []*restClient
		// and HEAD groups/<sendTo> gives groupStatus
		groupStatus int
	}{
		{"add connection", http.MethodPut, "/groups/room/connections/" + a.id, "", "", http.StatusOK, "room", []*restClient{a}, http.StatusOK},
		{"add connection again", http.MethodPut, "/groups/room/connections/" + a.id, "", "", http.StatusOK, "room", []*restClient{a}, http.StatusOK},
		{"add unknown connection", http.MethodPut, "/groups/room/connections/nope", "", "", http.StatusNotFound, "room", []*restClient{a}, http.StatusOK},
		{"add user", http.MethodPut, "/users/u2/groups/room", "", "", http.StatusOK, "room", []*restClient{a, b, c}, http.StatusOK},
		{"add unknown user", http.MethodPut, "/users/ghost/groups/room", "", "", http.StatusNotFound, "room", []*restClient{a, b, c}, http.StatusOK},
		{"remove connection", http.MethodDelete, "/groups/room/connections/" + b.id, "", "", http.StatusNoContent, "room", []*restClient{a, c}, http.StatusOK},
		{"remove unknown connection", http.MethodDelete, "/groups/room/connections/nope", "", "", http.StatusNoContent, "room", []*restClient{a, c}, http.StatusOK},
		{"remove user", http.MethodDelete, "/users/u2/groups/room", "", "", http.StatusNoContent, "room", []*restClient{a}, http.StatusOK},
		{"remove connection from all", http.MethodDelete, "/connections/" + a.id + "/groups", "", "", http.StatusNoContent, "room", nil, http.StatusNotFound},
		{"add to groups by filter", http.MethodPost, "/:addToGroups", "", `{"groups":["x","y"],"filter":"userId eq 'u2'"}`, http.StatusOK, "y", []*restClient{b, c}, http.StatusOK},
		{"add to groups without filter", http.MethodPost, "/:addToGroups", "", `{"groups":["z"]}`, http.StatusOK, "z", []*restClient{a, b, c}, http.StatusOK},
		{"remove from groups by filter", http.MethodPost, "/:removeFromGroups", "", `{"Groups":["y","z"],"Filter":"connectionId eq '` + b.id + `'"}`, http.StatusOK, "y", []*restClient{c}, http.StatusOK},
		{"remove from groups empty filter", http.MethodPost, "/:removeFromGroups", "", `{"groups":["z"],"filter":""}`, http.StatusOK, "z", nil, http.StatusNotFound},
		{"remove user from all", http.MethodDelete, "/users/u2/groups", "", "", http.StatusNoContent, "x", nil, http.StatusNotFound},
		{"remove unknown user from all", http.MethodDelete, "/users/ghost/groups", "", "", http.StatusNoContent, "x", nil, http.StatusNotFound},
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			ct := ""
			if s.body != "" {
				ct = "application/json"
			}
			env.call(s.method, env.api(s.path, s.query), ct, []byte(s.body)).wantStatus(t, s.name, s.wantStatus)
			msg := fmt.Sprintf("to-%s-%d", s.sendTo, i)
			env.call(http.MethodPost, env.api("/groups/"+s.sendTo+"/:send", ""), "text/plain", []byte(msg)).wantStatus(t, "send", http.StatusAccepted)
			want := map[*restClient][]wantFrame{}
			for _, c := range s.want {
				want[c] = []wantFrame{g(s.sendTo, msg)}
			}
			env.expectDeliveries(t, all, want, i)
			if st, code := env.head("/groups/"+s.sendTo, ""); st != s.groupStatus {
				t.Errorf("HEAD group %s = %d (%s), want %d", s.sendTo, st, code, s.groupStatus)
			}
		})
	}
}

func TestRESTExistenceAndClose(t *testing.T) {
	env := newRESTEnv(t, Config{})
	a := env.connect("u1", []string{"g"}, nil)
	b := env.connect("u2", []string{"g"}, nil)
	c := env.connect("u2", nil, nil)
	d := env.connect("u3", []string{"g"}, nil)
	e := env.connect("u4", nil, nil)
	f := env.connect("u5", nil, nil)

	exists := []struct {
		path, wantCode string
		want           int
	}{
		{"/connections/" + a.id, "", http.StatusOK},
		{"/connections/nope", "Warning.Connection.NotExisted", http.StatusNotFound},
		{"/users/u2", "", http.StatusOK},
		{"/users/nobody", "Warning.User.NotExisted", http.StatusNotFound},
		{"/groups/g", "", http.StatusOK},
		{"/groups/empty", "Warning.Group.NotExisted", http.StatusNotFound},
	}
	for _, tt := range exists {
		if st, code := env.head(tt.path, ""); st != tt.want || code != tt.wantCode {
			t.Errorf("HEAD %s = %d %q, want %d %q", tt.path, st, code, tt.want, tt.wantCode)
		}
	}

	closes := []struct {
		name   string
		path   string
		query  string
		closed []*restClient
		kept   []*restClient
	}{
		{"connection", "/connections/" + a.id, "reason=bye", []*restClient{a}, nil},
		{"user with excluded", "/users/u2/:closeConnections", "excluded=" + c.id + "&reason=user+bye", []*restClient{b}, []*restClient{c}},
		{"group with excluded", "/groups/g/:closeConnections", "excluded=" + b.id + "&reason=group", []*restClient{d}, nil},
		{"all with excluded", "/:closeConnections", "excluded=" + e.id + "&reason=all", []*restClient{c, f}, []*restClient{e}},
		{"unknown connection", "/connections/nope", "", nil, []*restClient{e}},
	}
	for _, tt := range closes {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodPost
			if strings.HasPrefix(tt.path, "/connections/") {
				method = http.MethodDelete
			}
			env.call(method, env.api(tt.path, tt.query), "", nil).wantStatus(t, tt.name, http.StatusNoContent)
			q, _ := url.ParseQuery(tt.query)
			for _, c := range tt.closed {
				c.expectClosed(t, q.Get("reason"))
				if st, _ := env.head("/connections/"+c.id, ""); st != http.StatusNotFound {
					t.Errorf("HEAD closed connection %s = %d, want 404", c.id, st)
				}
			}
			for _, c := range tt.kept {
				if st, _ := env.head("/connections/"+c.id, ""); st != http.StatusOK {
					t.Errorf("HEAD kept connection %s = %d, want 200", c.id, st)
				}
			}
		})
	}
}

func TestRESTPermissions(t *testing.T) {
	env := newRESTEnv(t, Config{})
	a := env.connect("u1", nil, []string{"webpubsub.joinLeaveGroup.lobby"})
	perm := func(p, conn string) string { return "/permissions/" + p + "/connections/" + conn }

	steps := []struct {
		name       string
		method     string
		path       string
		query      string
		wantStatus int
		wantCode   string
	}{
		{"role grants join lobby", http.MethodHead, perm("joinLeaveGroup", a.id), "targetName=lobby", http.StatusOK, ""},
		{"no send permission", http.MethodHead, perm("sendToGroup", a.id), "targetName=room", http.StatusNotFound, "Warning.Permission.NotGranted"},
		{"grant", http.MethodPut, perm("sendToGroup", a.id), "targetName=room", http.StatusOK, ""},
		{"granted", http.MethodHead, perm("sendToGroup", a.id), "targetName=room", http.StatusOK, ""},
		{"other group not granted", http.MethodHead, perm("sendToGroup", a.id), "targetName=other", http.StatusNotFound, "Warning.Permission.NotGranted"},
		{"revoke", http.MethodDelete, perm("sendToGroup", a.id), "targetName=room", http.StatusNoContent, ""},
		{"revoked", http.MethodHead, perm("sendToGroup", a.id), "targetName=room", http.StatusNotFound, "Warning.Permission.NotGranted"},
		{"revoke role", http.MethodDelete, perm("joinLeaveGroup", a.id), "targetName=lobby", http.StatusNoContent, ""},
		{"role revoked", http.MethodHead, perm("joinLeaveGroup", a.id), "targetName=lobby", http.StatusNotFound, "Warning.Permission.NotGranted"},
		{"grant unknown", http.MethodPut, perm("sendToGroup", "nope"), "targetName=room", http.StatusNotFound, "Info.Connection.NotExisted"},
		{"check unknown", http.MethodHead, perm("sendToGroup", "nope"), "targetName=room", http.StatusNotFound, "Info.Connection.NotExisted"},
		{"revoke unknown", http.MethodDelete, perm("sendToGroup", "nope"), "targetName=room", http.StatusNoContent, ""},
		{"grant without target", http.MethodPut, perm("sendToGroup", a.id), "", http.StatusBadRequest, "Error.BadRequest"},
		{"check without target", http.MethodHead, perm("sendToGroup", a.id), "", http.StatusBadRequest, "Error.BadRequest"},
		{"bad permission", http.MethodPut, perm("sendToAll", a.id), "targetName=room", http.StatusBadRequest, "Error.BadRequest"},
	}
	for _, s := range steps {
		resp := env.call(s.method, env.api(s.path, s.query), "", nil)
		if resp.status != s.wantStatus || resp.header.Get(headerErrorCode) != s.wantCode {
			t.Errorf("%s: %s %s = %d %q, want %d %q (%s)", s.name, s.method, s.path, resp.status, resp.header.Get(headerErrorCode), s.wantStatus, s.wantCode, resp.body)
		}
	}
}
