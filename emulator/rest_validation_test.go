package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRESTBadRequests covers every validation the REST API applies: each gets its status,
// error code and body shape, and the emulator keeps serving.
func TestRESTBadRequests(t *testing.T) {
	env := newRESTEnv(t, Config{MaxMessageSize: 16})
	const v = "api-version=2024-12-01"
	longGroup := strings.Repeat("g", maxGroupName+1)

	tests := []struct {
		name        string
		method      string
		pathQuery   string
		contentType string
		body        string
		wantStatus  int
		wantCode    string // x-ms-error-code; "" = none
		wantShape   string // "A" (service error), "B" (validation problem), "" (no body)
		wantTarget  string
	}{
		{"no api-version", http.MethodPost, "/api/hubs/chat/:send", "text/plain", "x", 400, "Error.BadRequest", "B", "api-version"},
		{"unknown api-version", http.MethodPost, "/api/hubs/chat/:send?api-version=2019-01-01", "text/plain", "x", 400, "Error.BadRequest", "B", "api-version"},
		{"preview api-version", http.MethodPost, "/api/hubs/chat/:send?api-version=2021-08-01-preview", "text/plain", "x", 202, "", "", ""},
		{"api-version name case", http.MethodPost, "/api/hubs/chat/:send?API-VERSION=2023-07-01", "text/plain", "x", 202, "", "", ""},
		{"health without api-version", http.MethodHead, "/api/health", "", "", 400, "Error.BadRequest", "", ""},
		{"bad hub name", http.MethodPost, "/api/hubs/1chat/:send?" + v, "text/plain", "x", 400, "Error.BadRequest", "B", "hub"},
		{"hub name too long", http.MethodPost, "/api/hubs/" + strings.Repeat("h", 129) + "/:send?" + v, "text/plain", "x", 400, "Error.BadRequest", "B", "hub"},
		{"whitespace group", http.MethodPost, "/api/hubs/chat/groups/%20%20/:send?" + v, "text/plain", "x", 400, "Error.BadRequest", "A", "Request"},
		{"group too long", http.MethodPut, "/api/hubs/chat/users/u/groups/" + longGroup + "?" + v, "", "", 400, "Error.BadRequest", "A", "Request"},
		{"bad filter", http.MethodPost, "/api/hubs/chat/:send?" + v + "&filter=" + url.QueryEscape("userId eq"), "text/plain", "x", 400, "Error.BadRequest", "B", "filter"},
		{"bad filter type", http.MethodPost, "/api/hubs/chat/users/u/:send?" + v + "&filter=" + url.QueryEscape("userId eq 1"), "text/plain", "x", 400, "Error.BadRequest", "B", "filter"},
		{"ttl too big", http.MethodPost, "/api/hubs/chat/:send?" + v + "&messageTtlSeconds=301", "text/plain", "x", 400, "Error.BadRequest", "B", "messageTtlSeconds"},
		{"ttl negative", http.MethodPost, "/api/hubs/chat/connections/c/:send?" + v + "&messageTtlSeconds=-1", "text/plain", "x", 400, "Error.BadRequest", "B", "messageTtlSeconds"},
		{"ttl max", http.MethodPost, "/api/hubs/chat/:send?" + v + "&messageTtlSeconds=300", "text/plain", "x", 202, "", "", ""},
		{"no content type", http.MethodPost, "/api/hubs/chat/:send?" + v, "", "x", 415, "Error.UnsupportedMediaType", "A", "Content-Type"},
		{"xml content type", http.MethodPost, "/api/hubs/chat/:send?" + v, "application/xml", "<x/>", 415, "Error.UnsupportedMediaType", "A", "Content-Type"},
		{"invalid json", http.MethodPost, "/api/hubs/chat/:send?" + v, "application/json", "{", 400, "Error.BadRequest", "A", "message"},
		{"empty json", http.MethodPost, "/api/hubs/chat/:send?" + v, "application/json", "", 400, "Error.BadRequest", "A", "message"},
		{"message at limit", http.MethodPost, "/api/hubs/chat/:send?" + v, "application/octet-stream", strings.Repeat("b", 16), 202, "", "", ""},
		{"message too large", http.MethodPost, "/api/hubs/chat/:send?" + v, "application/octet-stream", strings.Repeat("b", 17), 413, "Error.PayloadTooLarge", "A", "Request"},
		{"groups body not json", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "application/json", "groups", 400, "Error.BadRequest", "B", "$"},
		{"groups body trailing data", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "application/json", `{"groups":["a"]} {}`, 400, "Error.BadRequest", "B", "$"},
		{"groups body wrong type", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "application/json", `{"groups":"a"}`, 400, "Error.BadRequest", "B", "$"},
		{"groups missing", http.MethodPost, "/api/hubs/chat/:removeFromGroups?" + v, "application/json", `{"filter":"userId eq 'a'"}`, 400, "Error.BadRequest", "B", "Groups"},
		{"groups empty", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "application/json", `{"groups":[]}`, 400, "Error.BadRequest", "B", "Groups"},
		{"group name empty", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "application/json", `{"groups":["a",""]}`, 400, "Error.BadRequest", "B", "Groups"},
		{"groups bad filter", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "application/json", `{"groups":["a"],"filter":"invalid filter"}`, 400, "Error.BadRequest", "B", "Filter"},
		{"groups text body", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "text/plain", `{"groups":["a"]}`, 415, "Error.UnsupportedMediaType", "A", "Content-Type"},
		{"groups body too large", http.MethodPost, "/api/hubs/chat/:addToGroups?" + v, "application/json", `{"groups":["` + strings.Repeat("a", MaxRESTBodySize) + `"]}`, 413, "Error.PayloadTooLarge", "A", "Request"},
		{"revoke without targetName", http.MethodDelete, "/api/hubs/chat/permissions/sendToGroup/connections/c?" + v, "", "", 400, "Error.BadRequest", "A", "Request"},
		{"unknown permission", http.MethodHead, "/api/hubs/chat/permissions/admin/connections/c?" + v + "&targetName=g", "", "", 400, "Error.BadRequest", "", ""},
		{"maxpagesize zero", http.MethodGet, "/api/hubs/chat/groups/g/connections?" + v + "&maxpagesize=0", "", "", 400, "Error.BadRequest", "B", "maxpagesize"},
		{"maxpagesize too big", http.MethodGet, "/api/hubs/chat/groups/g/connections?" + v + "&maxpagesize=201", "", "", 400, "Error.BadRequest", "B", "maxpagesize"},
		{"top not a number", http.MethodGet, "/api/hubs/chat/groups/g/connections?" + v + "&top=all", "", "", 400, "Error.BadRequest", "B", "top"},
		{"minutesToExpire zero", http.MethodPost, "/api/hubs/chat/:generateToken?" + v + "&minutesToExpire=0", "", "", 400, "Error.BadRequest", "B", "minutesToExpire"},
		{"clientType socketio", http.MethodPost, "/api/hubs/chat/:generateToken?" + v + "&clientType=socketio", "", "", 400, "Error.BadRequest", "B", "clientType"},
		{"malformed query", http.MethodPost, "/api/hubs/chat/:send?" + v + "&filter=%zz", "text/plain", "x", 400, "Error.BadRequest", "B", "query"},
		{"unknown operation", http.MethodPost, "/api/hubs/chat/:broadcast?" + v, "text/plain", "x", 404, "", "", ""},
		{"unknown path", http.MethodGet, "/api/other?" + v, "", "", 404, "", "", ""},
		{"hub without operation", http.MethodGet, "/api/hubs/chat?" + v, "", "", 404, "", "", ""},
		{"empty segment", http.MethodPost, "/api/hubs/chat/users//:send?" + v, "text/plain", "x", 404, "", "", ""},
		{"wrong method", http.MethodGet, "/api/hubs/chat/:send?" + v, "", "", 405, "", "", ""},
		{"wrong method on shared path", http.MethodPost, "/api/hubs/chat/connections/c?" + v, "", "", 405, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := env.call(tt.method, tt.pathQuery, tt.contentType, []byte(tt.body))
			if resp.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.status, tt.wantStatus, resp.body)
			}
			if got := resp.header.Get(headerErrorCode); got != tt.wantCode {
				t.Errorf("x-ms-error-code %q, want %q", got, tt.wantCode)
			}
			switch tt.wantShape {
			case "A":
				var b map[string]any
				if err := json.Unmarshal(resp.body, &b); err != nil {
					t.Fatalf("body %s: %v", resp.body, err)
				}
				if b["code"] != tt.wantCode || b["target"] != tt.wantTarget || b["message"] == "" || len(b) != 5 {
					t.Errorf("body %s, want shape A with code %s target %s", resp.body, tt.wantCode, tt.wantTarget)
				}
				if resp.header.Get(headerAPISupportedVersions) == "" {
					t.Error("shape-A error without api-supported-versions")
				}
			case "B":
				var b validationErrorBody
				if err := json.Unmarshal(resp.body, &b); err != nil {
					t.Fatalf("body %s: %v", resp.body, err)
				}
				if b.Code != "Error.BadRequest" || b.Target != tt.wantTarget || b.Status != 400 || len(b.Errors[tt.wantTarget]) != 1 || b.Errors[tt.wantTarget][0] != b.Message {
					t.Errorf("body %s, want shape B with target %s", resp.body, tt.wantTarget)
				}
				if resp.header.Get(headerAPISupportedVersions) != "" {
					t.Error("shape-B error with api-supported-versions")
				}
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && resp.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	// Still serving.
	env.call(http.MethodPost, env.api("/:send", ""), "text/plain", []byte("ok")).wantStatus(t, "after bad requests", http.StatusAccepted)
}

// TestRESTFilterError checks the recorded message for an invalid filter, for each
// operation that takes one.
func TestRESTFilterError(t *testing.T) {
	env := newRESTEnv(t, Config{})
	const want = "Invalid syntax for 'invalid filter': Syntax error at position 14 in 'invalid filter'. (Parameter 'filter')"
	for _, p := range []string{"/:send", "/groups/g/:send", "/users/u/:send"} {
		resp := env.call(http.MethodPost, env.api(p, "filter=invalid%20filter"), "text/plain", []byte("x"))
		var b validationErrorBody
		if err := json.Unmarshal(resp.body, &b); err != nil || resp.status != 400 || b.Message != want || resp.header.Get("Content-Type") != contentTypeProblemJSON || resp.header.Get("Content-Length") != "416" {
			t.Errorf("POST %s with invalid filter = %d %s (%s, length %s)", p, resp.status, resp.body, resp.header.Get("Content-Type"), resp.header.Get("Content-Length"))
		}
	}
}

// TestRESTBodyLimitWhileReading: a body sent without Content-Length (chunked) is cut at the
// limit while reading and answered 413.
func TestRESTBodyLimitWhileReading(t *testing.T) {
	env := newRESTEnv(t, Config{MaxMessageSize: 64})
	for _, tt := range []struct {
		size int
		want int
	}{{64, http.StatusAccepted}, {65, http.StatusRequestEntityTooLarge}, {1 << 20, http.StatusRequestEntityTooLarge}} {
		u := env.srv.URL() + env.api("/:send", "")
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, io.MultiReader(strings.NewReader(strings.Repeat("x", tt.size))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", "Bearer "+restToken(t, restTestKey, u, time.Hour))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.ContentLength != 0 || resp.StatusCode != tt.want {
			t.Errorf("chunked body of %d bytes (ContentLength %d): status %d, want %d", tt.size, req.ContentLength, resp.StatusCode, tt.want)
		}
	}
}

// TestRESTHubNamesCaseInsensitive: REST calls on "CHAT" reach the clients of "chat".
func TestRESTHubNamesCaseInsensitive(t *testing.T) {
	env := newRESTEnv(t, Config{})
	c := env.connect("u", nil, nil)
	env.call(http.MethodPost, "/api/hubs/CHAT/:send?api-version=2024-12-01", "text/plain", []byte("upper")).wantStatus(t, "send on CHAT", http.StatusAccepted)
	if f := c.nextMessage(t); f.text() != "upper" {
		t.Errorf("client of chat got %+v, want the message sent on CHAT", f)
	}
	if resp := env.call(http.MethodHead, "/api/hubs/Chat/connections/"+c.id+"?api-version=2024-12-01", "", nil); resp.status != http.StatusOK {
		t.Errorf("HEAD Chat/connections/%s = %d, want 200", c.id, resp.status)
	}
}
