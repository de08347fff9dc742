package service_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// fakeWebPubSub is a tiny in-memory stand-in for the Web PubSub REST API, enough for the
// examples to run without Azure (the emulator package is the full one). It knows two
// connections, conn1 of user1 and conn2 of user2, and prints each request it serves.
type fakeWebPubSub struct {
	mu     sync.Mutex
	conns  map[string]string          // connection id → user id
	groups map[string]map[string]bool // group → connection ids
	perms  map[string]bool            // permission|connection|group
	quiet  bool
}

// startFake starts the fake service and returns its connection string and a stop func.
func startFake() (connectionString string, stop func()) {
	f := &fakeWebPubSub{conns: map[string]string{"conn1": "user1", "conn2": "user2"}, groups: map[string]map[string]bool{}, perms: map[string]bool{}}
	srv := httptest.NewServer(f)
	return "Endpoint=" + srv.URL + ";AccessKey=ZXhhbXBsZS1rZXktbm90LWEtc2VjcmV0LWF0LWFsbA==;Version=1.0;", srv.Close
}

func (f *fakeWebPubSub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	q := r.URL.Query()
	line := r.Method + " " + r.URL.EscapedPath()
	if rest := strings.TrimPrefix(r.URL.RawQuery, "api-version="+q.Get("api-version")); rest != "" {
		line += "?" + strings.TrimPrefix(rest, "&")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		line += fmt.Sprintf(" [%s] %s", ct, body)
	}
	if !f.quiet {
		fmt.Println(line)
	}
	if r.URL.Path != "/api/health" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var seg []string
	for _, s := range strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api/"), "/") {
		u, _ := url.PathUnescape(s)
		seg = append(seg, u)
	}
	status := f.route(r.Method, seg, q, body, w)
	w.WriteHeader(status)
}

func (f *fakeWebPubSub) route(method string, seg []string, q url.Values, body []byte, w http.ResponseWriter) int {
	path := strings.Join(seg, "/")
	if path == "health" {
		return http.StatusOK
	}
	if len(seg) < 3 {
		return http.StatusNotFound
	}
	rest := seg[2:] // after hubs/{hub}
	switch {
	case rest[len(rest)-1] == ":send":
		return http.StatusAccepted
	case rest[len(rest)-1] == ":generateToken":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"token": "token-from-the-service"})
		return http.StatusOK
	case rest[len(rest)-1] == ":addToGroups" || rest[len(rest)-1] == ":removeFromGroups":
		var b struct {
			Groups []string `json:"groups"`
			Filter string   `json:"filter"`
		}
		json.Unmarshal(body, &b)
		for c, u := range f.conns {
			if b.Filter == "" || b.Filter == "userId eq '"+u+"'" {
				for _, g := range b.Groups {
					f.member(g, c, rest[len(rest)-1] == ":addToGroups")
				}
			}
		}
		return http.StatusOK
	case rest[len(rest)-1] == ":closeConnections":
		return http.StatusNoContent
	case rest[0] == "connections" && len(rest) == 2:
		_, ok := f.conns[rest[1]]
		if method == http.MethodHead && !ok {
			return http.StatusNotFound
		}
		if method == http.MethodDelete {
			delete(f.conns, rest[1])
			return http.StatusNoContent
		}
		return http.StatusOK
	case rest[0] == "connections" && len(rest) == 3: // remove from all groups
		for g := range f.groups {
			f.member(g, rest[1], false)
		}
		return http.StatusNoContent
	case rest[0] == "users" && len(rest) == 2:
		if len(f.userConns(rest[1])) == 0 {
			return http.StatusNotFound
		}
		return http.StatusOK
	case rest[0] == "users" && len(rest) >= 3: // users/{u}/groups[/{g}]
		conns := f.userConns(rest[1])
		if method == http.MethodPut && len(conns) == 0 {
			w.Header().Set("x-ms-error-code", "Warning.User.NotExisted")
			return http.StatusNotFound
		}
		for _, c := range conns {
			for g := range f.groups {
				if len(rest) == 3 || g == rest[3] {
					f.member(g, c, false)
				}
			}
			if method == http.MethodPut {
				f.member(rest[3], c, true)
			}
		}
		if method == http.MethodPut {
			return http.StatusOK
		}
		return http.StatusNoContent
	case rest[0] == "groups" && len(rest) == 2:
		if len(f.groups[rest[1]]) == 0 {
			return http.StatusNotFound
		}
		return http.StatusOK
	case rest[0] == "groups" && len(rest) == 3 && method == http.MethodGet:
		type member struct {
			ConnectionID string `json:"connectionId"`
			UserID       string `json:"userId"`
		}
		out := struct {
			Value []member `json:"value"`
		}{Value: []member{}}
		for _, c := range slices.Sorted(maps.Keys(f.groups[rest[1]])) {
			out.Value = append(out.Value, member{c, f.conns[c]})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
		return http.StatusOK
	case rest[0] == "groups" && len(rest) == 4: // groups/{g}/connections/{c}
		if _, ok := f.conns[rest[3]]; !ok && method == http.MethodPut {
			w.Header().Set("x-ms-error-code", "Error.Connection.NotExisted")
			return http.StatusNotFound
		}
		f.member(rest[1], rest[3], method == http.MethodPut)
		if method == http.MethodPut {
			return http.StatusOK
		}
		return http.StatusNoContent
	case rest[0] == "permissions" && len(rest) == 4:
		k := rest[1] + "|" + rest[3] + "|" + q.Get("targetName")
		switch method {
		case http.MethodPut:
			f.perms[k] = true
			return http.StatusOK
		case http.MethodDelete:
			delete(f.perms, k)
			return http.StatusNoContent
		}
		if f.perms[k] {
			return http.StatusOK
		}
		return http.StatusNotFound
	}
	return http.StatusNotFound
}

func (f *fakeWebPubSub) member(group, conn string, add bool) {
	if add {
		if f.groups[group] == nil {
			f.groups[group] = map[string]bool{}
		}
		f.groups[group][conn] = true
		return
	}
	delete(f.groups[group], conn)
}

func (f *fakeWebPubSub) userConns(user string) []string {
	var out []string
	for c, u := range f.conns {
		if u == user {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}
