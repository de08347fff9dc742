package service

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// opCase is one operation call and the exact request it must send.
type opCase struct {
	name      string
	call      func(ctx context.Context, c *Client) error
	method    string
	path      string     // escaped path
	query     url.Values // besides api-version
	ctype     string     // "" = no Content-Type
	body      string
	noContent bool   // POST/PUT without body must send Content-Length: 0
	status    int    // documented success status
	exists    string // for HEAD checks: name of the bool result checked below
}

func operationCases() []opCase {
	msgQuery := url.Values{"excluded": {"c1", "c2"}, "filter": {"userId eq 'u1'"}, "messageTtlSeconds": {"30"}}
	return []opCase{
		{
			name: "SendToAll text with every option",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendToAll(ctx, Text("hello"), &SendToAllOptions{Excluded: []string{"c1", "c2"}, Filter: "userId eq 'u1'", MessageTTLSeconds: 30})
				return err
			},
			method: "POST", path: "/api/hubs/hub1/:send", query: msgQuery, ctype: "text/plain", body: "hello", status: 202,
		},
		{
			name: "SendToAll JSON",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendToAll(ctx, JSON(map[string]int{"a": 1}), nil)
				return err
			},
			method: "POST", path: "/api/hubs/hub1/:send", ctype: "application/json", body: `{"a":1}`, status: 202,
		},
		{
			name: "SendToAll binary",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendToAll(ctx, Binary([]byte{0, 1, 2, 255}), nil)
				return err
			},
			method: "POST", path: "/api/hubs/hub1/:send", ctype: "application/octet-stream", body: "\x00\x01\x02\xff", status: 202,
		},
		{
			name: "SendToGroup escapes the group",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendToGroup(ctx, "a/b c", Text("hi"), &SendToGroupOptions{Excluded: []string{"c1", "c2"}, Filter: "userId eq 'u1'", MessageTTLSeconds: 30})
				return err
			},
			method: "POST", path: "/api/hubs/hub1/groups/a%2Fb%20c/:send", query: msgQuery, ctype: "text/plain", body: "hi", status: 202,
		},
		{
			name: "SendToUser",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendToUser(ctx, "user 1", JSON("x"), &SendToUserOptions{Filter: "connectionId ne 'c'", MessageTTLSeconds: 300})
				return err
			},
			method: "POST", path: "/api/hubs/hub1/users/user%201/:send", query: url.Values{"filter": {"connectionId ne 'c'"}, "messageTtlSeconds": {"300"}},
			ctype: "application/json", body: `"x"`, status: 202,
		},
		{
			name: "SendToConnection",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendToConnection(ctx, "conn1", Text("t"), &SendToConnectionOptions{MessageTTLSeconds: 1})
				return err
			},
			method: "POST", path: "/api/hubs/hub1/connections/conn1/:send", query: url.Values{"messageTtlSeconds": {"1"}}, ctype: "text/plain", body: "t", status: 202,
		},
		{
			name: "SendToConnection empty text",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.SendToConnection(ctx, "conn1", Text(""), nil)
				return err
			},
			method: "POST", path: "/api/hubs/hub1/connections/conn1/:send", ctype: "text/plain", noContent: true, status: 202,
		},
		{
			name: "CloseAllConnections",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CloseAllConnections(ctx, &CloseAllConnectionsOptions{Excluded: []string{"c1", "c2"}, Reason: "bye now"})
				return err
			},
			method: "POST", path: "/api/hubs/hub1/:closeConnections", query: url.Values{"excluded": {"c1", "c2"}, "reason": {"bye now"}}, noContent: true, status: 204,
		},
		{
			name: "CloseGroupConnections",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CloseGroupConnections(ctx, "g1", &CloseGroupConnectionsOptions{Excluded: []string{"c1"}, Reason: "r"})
				return err
			},
			method: "POST", path: "/api/hubs/hub1/groups/g1/:closeConnections", query: url.Values{"excluded": {"c1"}, "reason": {"r"}}, noContent: true, status: 204,
		},
		{
			name: "CloseUserConnections",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CloseUserConnections(ctx, "u1", &CloseUserConnectionsOptions{Excluded: []string{"c1"}, Reason: "r"})
				return err
			},
			method: "POST", path: "/api/hubs/hub1/users/u1/:closeConnections", query: url.Values{"excluded": {"c1"}, "reason": {"r"}}, noContent: true, status: 204,
		},
		{
			name: "CloseConnection",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CloseConnection(ctx, "conn1", &CloseConnectionOptions{Reason: "kicked"})
				return err
			},
			method: "DELETE", path: "/api/hubs/hub1/connections/conn1", query: url.Values{"reason": {"kicked"}}, status: 204,
		},
		{
			name: "AddConnectionToGroup",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AddConnectionToGroup(ctx, "g1", "conn1", nil)
				return err
			},
			method: "PUT", path: "/api/hubs/hub1/groups/g1/connections/conn1", noContent: true, status: 200,
		},
		{
			name: "RemoveConnectionFromGroup",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RemoveConnectionFromGroup(ctx, "g1", "conn1", nil)
				return err
			},
			method: "DELETE", path: "/api/hubs/hub1/groups/g1/connections/conn1", status: 204,
		},
		{
			name: "RemoveConnectionFromAllGroups",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RemoveConnectionFromAllGroups(ctx, "conn1", nil)
				return err
			},
			method: "DELETE", path: "/api/hubs/hub1/connections/conn1/groups", status: 204,
		},
		{
			name: "AddUserToGroup",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AddUserToGroup(ctx, "g1", "u1", nil)
				return err
			},
			method: "PUT", path: "/api/hubs/hub1/users/u1/groups/g1", noContent: true, status: 200,
		},
		{
			name: "RemoveUserFromGroup",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RemoveUserFromGroup(ctx, "g1", "u1", nil)
				return err
			},
			method: "DELETE", path: "/api/hubs/hub1/users/u1/groups/g1", status: 204,
		},
		{
			name: "RemoveUserFromAllGroups",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RemoveUserFromAllGroups(ctx, "u1", nil)
				return err
			},
			method: "DELETE", path: "/api/hubs/hub1/users/u1/groups", status: 204,
		},
		{
			name: "AddConnectionsToGroups",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AddConnectionsToGroups(ctx, []string{"g1", "g2"}, "userId eq 'u1'", nil)
				return err
			},
			method: "POST", path: "/api/hubs/hub1/:addToGroups", ctype: "application/json", body: `{"groups":["g1","g2"],"filter":"userId eq 'u1'"}`, status: 200,
		},
		{
			name: "RemoveConnectionsFromGroups without filter",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RemoveConnectionsFromGroups(ctx, []string{"g1"}, "", nil)
				return err
			},
			method: "POST", path: "/api/hubs/hub1/:removeFromGroups", ctype: "application/json", body: `{"groups":["g1"]}`, status: 200,
		},
		{
			name: "GrantPermission",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GrantPermission(ctx, PermissionJoinLeaveGroup, "conn1", "g1", nil)
				return err
			},
			method: "PUT", path: "/api/hubs/hub1/permissions/joinLeaveGroup/connections/conn1", query: url.Values{"targetName": {"g1"}}, noContent: true, status: 200,
		},
		{
			name: "RevokePermission",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RevokePermission(ctx, PermissionSendToGroup, "conn1", "g1", nil)
				return err
			},
			method: "DELETE", path: "/api/hubs/hub1/permissions/sendToGroup/connections/conn1", query: url.Values{"targetName": {"g1"}}, status: 204,
		},
		{
			name: "CheckPermission",
			call: func(ctx context.Context, c *Client) error {
				r, err := c.CheckPermission(ctx, PermissionSendToGroup, "conn1", "g1", nil)
				return existsResult(r.HasPermission, err)
			},
			method: "HEAD", path: "/api/hubs/hub1/permissions/sendToGroup/connections/conn1", query: url.Values{"targetName": {"g1"}}, status: 200, exists: "HasPermission",
		},
		{
			name: "ConnectionExists",
			call: func(ctx context.Context, c *Client) error {
				r, err := c.ConnectionExists(ctx, "conn1", nil)
				return existsResult(r.Exists, err)
			},
			method: "HEAD", path: "/api/hubs/hub1/connections/conn1", status: 200, exists: "Exists",
		},
		{
			name: "UserExists",
			call: func(ctx context.Context, c *Client) error {
				r, err := c.UserExists(ctx, "u1", nil)
				return existsResult(r.Exists, err)
			},
			method: "HEAD", path: "/api/hubs/hub1/users/u1", status: 200, exists: "Exists",
		},
		{
			name: "GroupExists",
			call: func(ctx context.Context, c *Client) error {
				r, err := c.GroupExists(ctx, "g1", nil)
				return existsResult(r.Exists, err)
			},
			method: "HEAD", path: "/api/hubs/hub1/groups/g1", status: 200, exists: "Exists",
		},
		{
			name: "ListConnectionsInGroup first page",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListConnectionsInGroup("g1", &ListConnectionsInGroupOptions{MaxPageSize: 2, Top: 5, ContinuationToken: "tok"}).NextPage(ctx)
				return err
			},
			method: "GET", path: "/api/hubs/hub1/groups/g1/connections", query: url.Values{"maxpagesize": {"2"}, "top": {"5"}, "continuationToken": {"tok"}}, status: 200,
		},
	}
}

// errExistsFalse marks an exists result false, so the test can tell true from false.
var errExistsFalse = errors.New("exists = false")

func existsResult(ok bool, err error) error {
	if err == nil && !ok {
		return errExistsFalse
	}
	return err
}

func TestOperationsSendExactRequest(t *testing.T) {
	for _, tc := range operationCases() {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.method == "GET" {
				body = `{"value":[]}`
			}
			f := newFakeService(t, reply{status: tc.status, body: body, header: map[string]string{"Content-Type": "application/json"}})
			c := newTestClient(t, f.srv.URL, nil)
			if err := tc.call(t.Context(), c); err != nil {
				t.Fatalf("call = %v, want nil", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.EscapedPath != tc.path {
				t.Errorf("request = %s %s, want %s %s", r.Method, r.EscapedPath, tc.method, tc.path)
			}
			wantQ := url.Values{"api-version": {DefaultAPIVersion}}
			maps.Copy(wantQ, tc.query)
			if !maps.EqualFunc(r.Query, wantQ, slices.Equal) {
				t.Errorf("query = %v, want %v", r.Query, wantQ)
			}
			if got := r.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tc.ctype)
			}
			if string(r.Body) != tc.body {
				t.Errorf("body = %q, want %q", r.Body, tc.body)
			}
			if tc.noContent && (r.ContentLen != 0 || r.Header.Get("Content-Length") != "0") {
				t.Errorf("Content-Length = %q (%d), want 0", r.Header.Get("Content-Length"), r.ContentLen)
			}
			if len(r.Header["Transfer-Encoding"]) > 0 {
				t.Errorf("Transfer-Encoding = %v, want none", r.Header["Transfer-Encoding"])
			}
			if got := r.Header.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q, want application/json", got)
			}
			claims := verifyJWT(t, r.Header.Get("Authorization"), testKey)
			if claims["aud"] != r.URL {
				t.Errorf("aud = %v, want the full request URL %q", claims["aud"], r.URL)
			}
			if got := slices.Sorted(maps.Keys(claims)); !slices.Equal(got, []string{"aud", "exp", "iat"}) {
				t.Errorf("claims = %v, want exactly aud, exp, iat", got)
			}
			exp, _ := claims.GetExpirationTime()
			iat, _ := claims.GetIssuedAt()
			if d := exp.Sub(iat.Time); d != time.Hour {
				t.Errorf("exp - iat = %v, want 1h", d)
			}
		})
	}
}

func TestOperationsStatuses(t *testing.T) {
	errBody := `{"code":"Error.Connection.NotExisted","message":"Connection ` + "`conn1`" + ` is not found.","target":"Connection","details":null,"inner":null}`
	for _, tc := range operationCases() {
		t.Run(tc.name, func(t *testing.T) {
			okBody := ""
			if tc.method == "GET" {
				okBody = `{"value":[]}`
			}
			for _, st := range []int{200, 202, 204} {
				f := newFakeService(t, reply{status: st, body: okBody})
				if tc.method == "HEAD" || st == 204 {
					f.replies[0].body = ""
				}
				if err := tc.call(t.Context(), newTestClient(t, f.srv.URL, nil)); err != nil && !(tc.method == "GET" && st == 204) {
					t.Errorf("status %d: err = %v, want success for any 2xx", st, err)
				}
			}
			// 404: false for exists checks, a ResponseError otherwise.
			f := newFakeService(t, reply{status: 404, body: errBody, header: map[string]string{"x-ms-error-code": "Error.Connection.NotExisted", "Content-Type": "application/json; charset=utf-8"}})
			err := tc.call(t.Context(), newTestClient(t, f.srv.URL, nil))
			if tc.exists != "" {
				if !errors.Is(err, errExistsFalse) {
					t.Errorf("404: err = %v, want %s = false", err, tc.exists)
				}
			} else {
				var re *azcore.ResponseError
				if !errors.As(err, &re) || re.StatusCode != 404 || re.ErrorCode != "Error.Connection.NotExisted" {
					t.Errorf("404: err = %v, want *azcore.ResponseError 404 Error.Connection.NotExisted", err)
				}
			}
			// 400 and 401: ResponseError, not retried.
			for _, st := range []int{400, 401, 403} {
				f := newFakeService(t, reply{status: st, body: `{"code":"Error.BadRequest","message":"bad"}`, header: map[string]string{"x-ms-error-code": "Error.BadRequest"}})
				err := tc.call(t.Context(), newTestClient(t, f.srv.URL, nil))
				var re *azcore.ResponseError
				if !errors.As(err, &re) || re.StatusCode != st {
					t.Errorf("status %d: err = %v, want *azcore.ResponseError with that status", st, err)
				}
				if n := len(f.requests()); n != 1 {
					t.Errorf("status %d: sent %d requests, want 1 (no retry)", st, n)
				}
			}
			// 429 and 5xx are retried, then succeed.
			for _, st := range []int{429, 500, 502, 503, 504} {
				f := newFakeService(t, reply{status: st, header: map[string]string{"Retry-After": "0"}}, reply{status: tc.status, body: okBody})
				if err := tc.call(t.Context(), newTestClient(t, f.srv.URL, nil)); err != nil {
					t.Errorf("status %d then %d: err = %v, want success after a retry", st, tc.status, err)
				}
				reqs := f.requests()
				if len(reqs) != 2 {
					t.Fatalf("status %d: sent %d requests, want 2", st, len(reqs))
				}
				if string(reqs[1].Body) != tc.body {
					t.Errorf("retried body = %q, want %q", reqs[1].Body, tc.body)
				}
				verifyJWT(t, reqs[1].Header.Get("Authorization"), testKey)
			}
			// Persistent 503: ResponseError after MaxRetries+1 attempts.
			f = newFakeService(t, reply{status: 503})
			err = tc.call(t.Context(), newTestClient(t, f.srv.URL, nil))
			var re *azcore.ResponseError
			if !errors.As(err, &re) || re.StatusCode != 503 {
				t.Errorf("persistent 503: err = %v, want *azcore.ResponseError 503", err)
			}
			if n := len(f.requests()); n != 4 {
				t.Errorf("persistent 503: sent %d requests, want 4 (1 + 3 retries)", n)
			}
		})
	}
}
