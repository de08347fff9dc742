package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// op describes one REST operation: every operation is data for the one builder [Client.do].
type op struct {
	method string
	path   string // below the endpoint; {hub}, {group}, {user}, {connection}, {permission}
	status int    // the documented success status (any 2xx is accepted)
	anon   bool   // sent without credentials (health)
	exists bool   // HEAD check: 2xx → true, 404 → false
	// readsBody marks the operations whose success response body is decoded. For the
	// others azcore's body download (a 512-byte buffer and a wrapper per call) is
	// skipped and the body is drained and closed by [Client.send]; error bodies are
	// always downloaded (azcore does so for every status from 400 up).
	readsBody bool
}

var (
	opHealth = op{method: http.MethodHead, path: "/api/health", status: http.StatusOK, anon: true}

	opSendToAll        = op{method: http.MethodPost, path: "/api/hubs/{hub}/:send", status: http.StatusAccepted}
	opSendToGroup      = op{method: http.MethodPost, path: "/api/hubs/{hub}/groups/{group}/:send", status: http.StatusAccepted}
	opSendToUser       = op{method: http.MethodPost, path: "/api/hubs/{hub}/users/{user}/:send", status: http.StatusAccepted}
	opSendToConnection = op{method: http.MethodPost, path: "/api/hubs/{hub}/connections/{connection}/:send", status: http.StatusAccepted}

	opCloseAllConnections   = op{method: http.MethodPost, path: "/api/hubs/{hub}/:closeConnections", status: http.StatusNoContent}
	opCloseGroupConnections = op{method: http.MethodPost, path: "/api/hubs/{hub}/groups/{group}/:closeConnections", status: http.StatusNoContent}
	opCloseUserConnections  = op{method: http.MethodPost, path: "/api/hubs/{hub}/users/{user}/:closeConnections", status: http.StatusNoContent}
	opCloseConnection       = op{method: http.MethodDelete, path: "/api/hubs/{hub}/connections/{connection}", status: http.StatusNoContent}

	opConnectionExists = op{method: http.MethodHead, path: "/api/hubs/{hub}/connections/{connection}", status: http.StatusOK, exists: true}
	opUserExists       = op{method: http.MethodHead, path: "/api/hubs/{hub}/users/{user}", status: http.StatusOK, exists: true}
	opGroupExists      = op{method: http.MethodHead, path: "/api/hubs/{hub}/groups/{group}", status: http.StatusOK, exists: true}

	opAddConnectionToGroup          = op{method: http.MethodPut, path: "/api/hubs/{hub}/groups/{group}/connections/{connection}", status: http.StatusOK}
	opRemoveConnectionFromGroup     = op{method: http.MethodDelete, path: "/api/hubs/{hub}/groups/{group}/connections/{connection}", status: http.StatusNoContent}
	opRemoveConnectionFromAllGroups = op{method: http.MethodDelete, path: "/api/hubs/{hub}/connections/{connection}/groups", status: http.StatusNoContent}
	opAddUserToGroup                = op{method: http.MethodPut, path: "/api/hubs/{hub}/users/{user}/groups/{group}", status: http.StatusOK}
	opRemoveUserFromGroup           = op{method: http.MethodDelete, path: "/api/hubs/{hub}/users/{user}/groups/{group}", status: http.StatusNoContent}
	opRemoveUserFromAllGroups       = op{method: http.MethodDelete, path: "/api/hubs/{hub}/users/{user}/groups", status: http.StatusNoContent}
	opAddConnectionsToGroups        = op{method: http.MethodPost, path: "/api/hubs/{hub}/:addToGroups", status: http.StatusOK}
	opRemoveConnectionsFromGroups   = op{method: http.MethodPost, path: "/api/hubs/{hub}/:removeFromGroups", status: http.StatusOK}
	opListConnectionsInGroup        = op{method: http.MethodGet, path: "/api/hubs/{hub}/groups/{group}/connections", status: http.StatusOK, readsBody: true}

	opGrantPermission  = op{method: http.MethodPut, path: "/api/hubs/{hub}/permissions/{permission}/connections/{connection}", status: http.StatusOK}
	opRevokePermission = op{method: http.MethodDelete, path: "/api/hubs/{hub}/permissions/{permission}/connections/{connection}", status: http.StatusNoContent}
	opCheckPermission  = op{method: http.MethodHead, path: "/api/hubs/{hub}/permissions/{permission}/connections/{connection}", status: http.StatusOK, exists: true}

	opGenerateToken = op{method: http.MethodPost, path: "/api/hubs/{hub}/:generateToken", status: http.StatusOK, readsBody: true}
)

// args are the path parameters of one call (without hub, which the client adds). A
// struct rather than a map, so that building a URL allocates nothing for the arguments.
type args struct{ group, user, connection, permission string }

// get returns the argument named by a path placeholder.
func (a args) get(name string) string {
	switch name {
	case "group":
		return a.group
	case "user":
		return a.user
	case "connection":
		return a.connection
	case "permission":
		return a.permission
	}
	return ""
}

// body is a request payload with its content type.
type body struct {
	contentType string
	data        []byte
}

// buildURL expands o.path with the escaped arguments, and adds the query and api-version.
// URLs of operations without arguments or query are built once per client.
func (c *Client) buildURL(o op, a args, q url.Values) string {
	if a == (args{}) && len(q) == 0 {
		if u, ok := c.static[o.path]; ok {
			return u
		}
	}
	return c.expandURL(o, a, q)
}

func (c *Client) expandURL(o op, a args, q url.Values) string {
	var b strings.Builder
	b.Grow(len(c.endpoint) + len(o.path) + 64)
	b.WriteString(c.endpoint)
	p := o.path
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			b.WriteString(p)
			break
		}
		j := strings.IndexByte(p[i:], '}') + i
		b.WriteString(p[:i])
		name := p[i+1 : j]
		if name == "hub" {
			b.WriteString(c.hubEscaped)
		} else {
			b.WriteString(url.PathEscape(a.get(name)))
		}
		p = p[j+1:]
	}
	b.WriteString("?api-version=")
	b.WriteString(url.QueryEscape(c.apiVersion))
	if len(q) > 0 {
		b.WriteByte('&')
		b.WriteString(q.Encode())
	}
	return b.String()
}

// do sends one operation. It returns the response of a successful call (any 2xx; for
// exists checks also 404) with its body read, or an *azcore.ResponseError.
func (c *Client) do(ctx context.Context, o op, a args, q url.Values, bd *body) (*http.Response, error) {
	return c.send(ctx, o, c.buildURL(o, a, q), bd)
}

func (c *Client) send(ctx context.Context, o op, rawURL string, bd *body) (*http.Response, error) {
	req, err := c.newRequest(ctx, o.method, rawURL)
	if err != nil {
		return nil, err
	}
	accept := "application/json"
	if o == opGenerateToken {
		accept = "application/json, text/json"
	}
	req.Raw().Header.Set("Accept", accept)
	switch {
	case bd == nil:
	case len(bd.data) == 0:
		// No body: net/http then sends Content-Length: 0 for POST and PUT.
		if bd.contentType != "" {
			req.Raw().Header.Set("Content-Type", bd.contentType)
		}
	default:
		if err := req.SetBody(memBody{bytes.NewReader(bd.data)}, bd.contentType); err != nil {
			return nil, err
		}
	}
	if !o.readsBody {
		runtime.SkipBodyDownload(req)
	}
	pl := c.pl
	if o.anon {
		pl = c.anon
	}
	resp, err := pl.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 || o.exists && resp.StatusCode == http.StatusNotFound {
		if !o.readsBody {
			discardBody(resp)
		}
		return resp, nil
	}
	return nil, runtime.NewResponseError(resp)
}

// newRequest returns the pipeline request for rawURL, which the client built itself. It
// does what runtime.NewRequest does, without parsing the URL on every call: parsed URLs
// are kept in c.urls (see [urlCache]) and copied into a request made for the empty URL,
// which net/http parses for nothing. The deferred query (see restoreQuery) is left off.
func (c *Client) newRequest(ctx context.Context, method, rawURL string) (*policy.Request, error) {
	u, err := c.urls.get(rawURL)
	if err != nil {
		return nil, err
	}
	r, err := http.NewRequestWithContext(ctx, method, "", nil)
	if err != nil {
		return nil, err
	}
	*r.URL = *u
	if c.deferredQuery != "" && r.URL.RawQuery == c.deferredQuery {
		r.URL.RawQuery = "" // see restoreQuery
	}
	r.Host = u.Host
	return runtime.NewRequestFromRequest(r)
}

// urlCacheSize bounds [urlCache]: a client calling many distinct groups, users or
// connections parses again once the cache has been cleared, nothing more.
const urlCacheSize = 1024

// urlCache maps the request URLs a client built to their parsed form, so that a call
// copies a url.URL instead of parsing one (about 0.3µs and an allocation per call). It
// is safe for concurrent use; when full it is cleared.
type urlCache struct {
	mu sync.RWMutex
	m  map[string]*url.URL
}

// get returns the parsed rawURL; the caller must not modify it. Only URLs with a host
// and an http or https scheme are accepted, as runtime.NewRequest does.
func (uc *urlCache) get(rawURL string) (*url.URL, error) {
	uc.mu.RLock()
	u, ok := uc.m[rawURL]
	uc.mu.RUnlock()
	if ok {
		return u, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, errors.New("no Host in request URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("unsupported protocol scheme %s", u.Scheme)
	}
	uc.mu.Lock()
	if uc.m == nil || len(uc.m) >= urlCacheSize {
		uc.m = make(map[string]*url.URL)
	}
	uc.m[rawURL] = u
	uc.mu.Unlock()
	return u, nil
}

// maxDiscardedBody bounds how much of an unused success body is read to keep the
// connection reusable; the rest is not read, and net/http then closes the connection.
// The service sends no body (or a few bytes) for these operations.
const maxDiscardedBody = 64 << 10

// discardBody drains (up to [maxDiscardedBody]) and closes the body of a response whose
// content is not used, and leaves an empty body in its place.
func discardBody(resp *http.Response) {
	if resp.Body == nil || resp.Body == http.NoBody {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxDiscardedBody)
	_ = resp.Body.Close()
	resp.Body = http.NoBody
}

// required checks that every named value is non-empty.
func required(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			return fmt.Errorf("%w: %s must not be empty", ErrInvalidArgument, kv[i])
		}
	}
	return nil
}

func checkGroup(name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: group name must not be empty or whitespace", ErrInvalidArgument)
	}
	if n := len([]rune(name)); n > 1024 {
		return fmt.Errorf("%w: group name is %d characters long, the limit is 1024", ErrInvalidArgument, n)
	}
	return nil
}

// restoreQuery puts the deferred query q back on the request URL when it has no query;
// q is "" when the client defers nothing.
//
// Why a query is deferred: azcore's retry policy formats a sanitized copy of the URL for its log line on every
// try, whether or not a log listener is set, and sanitizing parses and re-encodes the
// query (about 0.7µs and 6 allocations per call, a few percent of a loopback request).
// A URL without a query makes that line cheap. So when a request's query is only the
// client's "api-version=…" (sends and group operations without options), it enters the
// pipeline without it, and our first per-retry policy puts it back ([restoreQuery])
// before the token is signed and before azcore's logging and tracing policies, the
// caller's per-retry policies and the transport see the request. The request on the
// wire, its token audience, the request log and the trace span are unchanged; only the
// retry policy's "Try=N" log line shows the path without the query. The query is not
// deferred when the caller set per-call policies (they keep seeing the full URL).
// Every request of ours carries an api-version, so a URL without a query in our
// per-retry policies is always a deferred one.
func restoreQuery(req *policy.Request, q string) {
	if u := req.Raw().URL; q != "" && u.RawQuery == "" {
		u.RawQuery = q
	}
}

// memBody is a request payload: an in-memory io.ReadSeekCloser whose reader
// [inMemoryBody] can recognise.
type memBody struct{ *bytes.Reader }

func (memBody) Close() error { return nil }

// inMemoryBody hands net/http the payload as an io.NopCloser around a *bytes.Reader, a
// reader net/http knows to be in memory, so that it writes headers and body with one
// write instead of flushing the headers first (azcore's own body wrapper hides the type;
// the extra write cost about 10µs per call on loopback). It must run in a per-retry
// policy, after the retry policy has rewound the body.
func inMemoryBody(req *policy.Request) {
	if b, ok := req.Body().(memBody); ok {
		req.Raw().Body = io.NopCloser(b.Reader)
	}
}

// bodyPolicy is the last per-retry policy of ours in pipelines without a key or proxy
// policy (Entra ID credential, health): it restores the deferred query and hands net/http
// the in-memory body.
type bodyPolicy struct{ query string }

func (p bodyPolicy) Do(req *policy.Request) (*http.Response, error) {
	restoreQuery(req, p.query)
	inMemoryBody(req)
	return req.Next()
}

var _ policy.Policy = (*keyPolicy)(nil)
