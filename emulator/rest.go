package emulator

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The REST API (the data plane of the service, see docs/emulator.md "REST API").
//
// Operations are data: restOps lists each one's method, path pattern (the segments after
// /api/hubs/{hub}; "{group}", "{user}", "{connection}" and "{permission}" are parameters)
// and serve func. serveREST splits the escaped path, matches the pattern, and runs the
// checks common to every hub operation (authentication, api-version, parameter formats)
// before the serve func.

// apiVersionsGA and apiVersionsPreview are the api-version values the REST API accepts:
// the GA versions, which the api-supported-versions response header lists, and the
// previews seen in the service's API specifications.
var apiVersionsGA = []string{"2021-10-01", "2022-11-01", "2023-07-01", "2024-01-01", "2024-12-01"}

var apiVersionsPreview = []string{"2020-10-01", "2021-01-01", "2021-05-01-preview", "2021-08-01-preview", "2022-10-01-preview"}

// apiSupportedVersions is the value of the api-supported-versions header.
var apiSupportedVersions = strings.Join(apiVersionsGA, ", ")

const (
	headerAPISupportedVersions = "api-supported-versions"
	headerErrorCode            = "x-ms-error-code"
)

// MaxRESTBodySize bounds the JSON bodies of :addToGroups and :removeFromGroups, in bytes.
// Message bodies of the send operations are bounded by [Config.MaxMessageSize] instead.
const MaxRESTBodySize = 1 << 20

// restParams are the path parameters of a hub operation, unescaped.
type restParams struct {
	group, user, connection, permission string
}

// restCall is one REST request on its way through serveREST.
type restCall struct {
	e          *Emulator
	w          http.ResponseWriter
	r          *http.Request
	hubName    string
	hub        *hub
	p          restParams
	query      restQuery
	apiVersion string
	status     int // written status, for the log
}

// restOp is one REST operation.
type restOp struct {
	name    string
	method  string
	pattern []string
	serve   func(*restCall)
}

var restOps = []restOp{
	{"SendToAll", http.MethodPost, []string{":send"}, (*restCall).sendToAll},
	{"CloseAllConnections", http.MethodPost, []string{":closeConnections"}, (*restCall).closeAll},
	{"AddConnectionsToGroups", http.MethodPost, []string{":addToGroups"}, (*restCall).addToGroups},
	{"RemoveConnectionsFromGroups", http.MethodPost, []string{":removeFromGroups"}, (*restCall).removeFromGroups},
	{"GenerateClientToken", http.MethodPost, []string{":generateToken"}, (*restCall).generateToken},
	{"CloseConnection", http.MethodDelete, []string{"connections", "{connection}"}, (*restCall).closeConnection},
	{"ConnectionExists", http.MethodHead, []string{"connections", "{connection}"}, (*restCall).connectionExists},
	{"SendToConnection", http.MethodPost, []string{"connections", "{connection}", ":send"}, (*restCall).sendToConnection},
	{"RemoveConnectionFromAllGroups", http.MethodDelete, []string{"connections", "{connection}", "groups"}, (*restCall).removeConnectionFromAllGroups},
	{"GroupExists", http.MethodHead, []string{"groups", "{group}"}, (*restCall).groupExists},
	{"SendToGroup", http.MethodPost, []string{"groups", "{group}", ":send"}, (*restCall).sendToGroup},
	{"CloseGroupConnections", http.MethodPost, []string{"groups", "{group}", ":closeConnections"}, (*restCall).closeGroup},
	{"ListConnectionsInGroup", http.MethodGet, []string{"groups", "{group}", "connections"}, (*restCall).listConnectionsInGroup},
	{"AddConnectionToGroup", http.MethodPut, []string{"groups", "{group}", "connections", "{connection}"}, (*restCall).addConnectionToGroup},
	{"RemoveConnectionFromGroup", http.MethodDelete, []string{"groups", "{group}", "connections", "{connection}"}, (*restCall).removeConnectionFromGroup},
	{"GrantPermission", http.MethodPut, []string{"permissions", "{permission}", "connections", "{connection}"}, (*restCall).grantPermission},
	{"RevokePermission", http.MethodDelete, []string{"permissions", "{permission}", "connections", "{connection}"}, (*restCall).revokePermission},
	{"CheckPermission", http.MethodHead, []string{"permissions", "{permission}", "connections", "{connection}"}, (*restCall).checkPermission},
	{"UserExists", http.MethodHead, []string{"users", "{user}"}, (*restCall).userExists},
	{"SendToUser", http.MethodPost, []string{"users", "{user}", ":send"}, (*restCall).sendToUser},
	{"CloseUserConnections", http.MethodPost, []string{"users", "{user}", ":closeConnections"}, (*restCall).closeUser},
	{"RemoveUserFromAllGroups", http.MethodDelete, []string{"users", "{user}", "groups"}, (*restCall).removeUserFromAllGroups},
	{"AddUserToGroup", http.MethodPut, []string{"users", "{user}", "groups", "{group}"}, (*restCall).addUserToGroup},
	{"RemoveUserFromGroup", http.MethodDelete, []string{"users", "{user}", "groups", "{group}"}, (*restCall).removeUserFromGroup},
}

// match reports whether segs (unescaped) fit the pattern and fills p. Literal segments
// match case-insensitively, as on the service.
func (op *restOp) match(segs []string, p *restParams) bool {
	if len(segs) != len(op.pattern) {
		return false
	}
	var q restParams
	for i, want := range op.pattern {
		switch want {
		case "{group}":
			q.group = segs[i]
		case "{user}":
			q.user = segs[i]
		case "{connection}":
			q.connection = segs[i]
		case "{permission}":
			q.permission = segs[i]
		default:
			if !strings.EqualFold(segs[i], want) {
				return false
			}
		}
	}
	*p = q
	return true
}

// splitPath splits an escaped path into unescaped segments; ok is false for an empty
// segment or a bad escape.
func splitPath(escaped string) ([]string, bool) {
	raw := strings.Split(escaped, "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// serveREST serves every path under /api/.
func (e *Emulator) serveREST(w http.ResponseWriter, r *http.Request) {
	c := &restCall{e: e, w: w, r: r}
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/")
	segs, ok := splitPath(path)
	if !ok || len(segs) == 0 {
		c.notFound()
		return
	}
	if len(segs) == 1 && strings.EqualFold(segs[0], "health") {
		c.health()
		return
	}
	if len(segs) < 3 || !strings.EqualFold(segs[0], "hubs") {
		c.notFound()
		return
	}
	c.hubName = segs[1]
	var op *restOp
	var allowed []string
	for i := range restOps {
		var p restParams
		if !restOps[i].match(segs[2:], &p) {
			continue
		}
		if restOps[i].method != r.Method {
			allowed = append(allowed, restOps[i].method)
			continue
		}
		op, c.p = &restOps[i], p
		break
	}
	switch {
	case op == nil && len(allowed) > 0:
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		c.writeStatus(http.StatusMethodNotAllowed)
	case op == nil:
		c.notFound()
	case c.prepare():
		op.serve(c)
	}
	e.log.LogAttrs(r.Context(), slog.LevelDebug, "rest call",
		slog.String("hub", c.hubName), slog.String("method", r.Method),
		slog.String("path", r.URL.EscapedPath()), slog.Int("status", c.status))
}

// prepare runs the checks every hub operation shares. It writes the error response and
// returns false when one fails.
func (c *restCall) prepare() bool {
	if !c.authenticate() {
		return false
	}
	if !c.parseQuery() || !c.checkAPIVersion() {
		return false
	}
	if !hubNamePattern.MatchString(c.hubName) {
		c.validationError("hub", "Invalid hub name. Valid hub name should start with alphabetic characters and only contain alpha-numeric characters or underscore and be at most 128 characters long.")
		return false
	}
	if c.p.group != "" && !validGroupName(c.p.group) {
		c.serviceError(http.StatusBadRequest, "Error.BadRequest", msgInvalidGroupName, "Request")
		return false
	}
	if c.p.permission != "" && c.p.permission != permSendToGroup && c.p.permission != permJoinLeaveGroup {
		c.validationError("permission", "The value '"+c.p.permission+"' is not valid.")
		return false
	}
	c.hub = c.e.hub(c.hubName)
	return true
}

const msgInvalidGroupName = "Invalid group name. Valid group name should be in between 1 and 1024 characters long."

// validGroupName reports whether g passes [checkGroupName].
func validGroupName(g string) bool { return checkGroupName(g) == nil }

// checkAPIVersion requires a known api-version query parameter.
func (c *restCall) checkAPIVersion() bool {
	vs := c.query.all("api-version")
	if len(vs) == 0 || vs[0] == "" {
		c.validationError("api-version", "The api-version query parameter is required. Supported versions: "+apiSupportedVersions+".")
		return false
	}
	v := vs[0]
	if !slices.Contains(apiVersionsGA, v) && !slices.Contains(apiVersionsPreview, v) {
		c.validationError("api-version", "The api-version '"+v+"' is not supported. Supported versions: "+apiSupportedVersions+".")
		return false
	}
	c.apiVersion = v
	return true
}

// health serves HEAD (and GET) /api/health: 200 without credentials and without the
// api-supported-versions header, as the service.
func (c *restCall) health() {
	if c.r.Method != http.MethodHead && c.r.Method != http.MethodGet {
		c.w.Header().Set("Allow", "HEAD, GET")
		c.writeStatus(http.StatusMethodNotAllowed)
		return
	}
	if !c.parseQuery() || !c.checkAPIVersion() {
		return
	}
	c.writeStatus(http.StatusOK)
}

// restQuery is a parsed query string; parameter names match case-insensitively, as on the
// service.
type restQuery map[string][]string

func (c *restCall) parseQuery() bool {
	vs, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		c.validationError("query", "The query string is malformed: "+err.Error())
		return false
	}
	c.query = make(restQuery, len(vs))
	for k, v := range vs {
		lk := strings.ToLower(k)
		c.query[lk] = append(c.query[lk], v...)
	}
	return true
}

// all returns every value of the parameter.
func (q restQuery) all(name string) []string { return q[strings.ToLower(name)] }

// get returns the first value of the parameter and whether it is present.
func (q restQuery) get(name string) (string, bool) {
	v := q[strings.ToLower(name)]
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}
