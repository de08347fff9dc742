package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzREST sends arbitrary validly signed requests to the REST API: the router, the query
// and body parsers and the filter parser must answer every one with a documented status
// and a well-formed error, never panic or hang.
func FuzzREST(f *testing.F) {
	seeds := []struct{ method, path, query, contentType, body string }{
		{"POST", "chat/:send", "api-version=2024-12-01&excluded=a&excluded=b", "text/plain", "hello"},
		{"POST", "chat/:send", "api-version=2024-12-01&filter=userId%20eq%20%27u%27", "application/json", `{"a":1}`},
		{"POST", "chat/groups/a%2Fb/:send", "api-version=2023-07-01&filter=invalid%20filter", "application/octet-stream", "\x00\x01"},
		{"POST", "chat/users/u/:send", "api-version=2024-12-01&messageTtlSeconds=60", "text/plain; charset=utf-8", ""},
		{"POST", "chat/:addToGroups", "api-version=2024-12-01", "application/json", `{"groups":["g"],"filter":"'g' in groups"}`},
		{"POST", "chat/:removeFromGroups", "api-version=2024-12-01", "application/json", `{"groups":null}`},
		{"POST", "chat/:generateToken", "api-version=2024-12-01&userId=u&role=r&group=g&minutesToExpire=5&clientType=MQTT", "", ""},
		{"GET", "chat/groups/g/connections", "api-version=2024-12-01&maxpagesize=2&top=5&continuationToken=x", "", ""},
		{"PUT", "chat/permissions/sendToGroup/connections/c", "api-version=2024-12-01&targetName=g", "", ""},
		{"HEAD", "chat/users/u", "api-version=2024-12-01", "", ""},
		{"DELETE", "chat/users/u/groups/g", "api-version=2024-12-01", "", ""},
		{"POST", "chat/:closeConnections", "api-version=2024-12-01&reason=%E2%9C%93", "", ""},
		{"POST", "%zz/:send", "api-version=%zz", "text/plain", "x"},
		{"GET", "../../health", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.contentType, []byte(s.body))
	}
	e, err := New(&Config{Endpoint: "http://emulator.test", AccessKey: restTestKey, MaxMessageSize: 1 << 10})
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[int]bool{200: true, 202: true, 204: true, 400: true, 401: true, 404: true, 405: true, 413: true, 415: true}
	methods := []string{"GET", "HEAD", "POST", "PUT", "DELETE"}
	f.Fuzz(func(t *testing.T, method, path, query, contentType string, body []byte) {
		if !strings.Contains(strings.Join(methods, " "), method) || method == "" {
			method = methods[len(method)%len(methods)]
		}
		raw := "http://emulator.test/api/hubs/" + path
		if query != "" {
			raw += "?" + query
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host != "emulator.test" {
			return
		}
		req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+restToken(t, restTestKey, u.String(), time.Hour))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if !allowed[rec.Code] {
			t.Fatalf("%s %s: status %d, body %s", method, raw, rec.Code, rec.Body)
		}
		code := rec.Header().Get(headerErrorCode)
		if rec.Code >= 400 && rec.Code != 404 && rec.Code != 405 && code == "" {
			t.Fatalf("%s %s: status %d without x-ms-error-code", method, raw, rec.Code)
		}
		if rec.Body.Len() > 0 && strings.Contains(rec.Header().Get("Content-Type"), "json") && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: invalid JSON body %q", method, raw, rec.Body)
		}
	})
}
