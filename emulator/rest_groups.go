package emulator

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// addConnectionToGroup answers 404 Error.Connection.NotExisted for an unknown connection.
func (c *restCall) addConnectionToGroup() {
	if !c.hub.addConnectionToGroup(c.p.group, c.p.connection) {
		c.connectionNotFound("Error.Connection.NotExisted")
		return
	}
	c.ok(http.StatusOK)
}

func (c *restCall) removeConnectionFromGroup() {
	c.hub.removeConnectionFromGroup(c.p.group, c.p.connection)
	c.ok(http.StatusNoContent)
}

func (c *restCall) removeConnectionFromAllGroups() {
	c.hub.removeConnectionFromAllGroups(c.p.connection)
	c.ok(http.StatusNoContent)
}

// addUserToGroup answers 404 Warning.User.NotExisted when the user has no live connection:
// the membership applies to the user's current connections only.
func (c *restCall) addUserToGroup() {
	if !c.hub.userExists(c.p.user) {
		c.userNotFound()
		return
	}
	c.hub.addUserToGroup(c.p.group, c.p.user)
	c.ok(http.StatusOK)
}

func (c *restCall) removeUserFromGroup() {
	c.hub.removeUserFromGroup(c.p.group, c.p.user)
	c.ok(http.StatusNoContent)
}

func (c *restCall) removeUserFromAllGroups() {
	c.hub.removeUserFromAllGroups(c.p.user)
	c.ok(http.StatusNoContent)
}

// groupsRequest is the body of :addToGroups and :removeFromGroups. Property names match
// case-insensitively (encoding/json), as ASP.NET binds them.
type groupsRequest struct {
	Groups []string `json:"groups"`
	Filter *string  `json:"filter"`
}

func (c *restCall) addToGroups() {
	groups, f, ok := c.groupsRequest()
	if !ok {
		return
	}
	c.hub.addConnectionsToGroups(groups, f)
	c.ok(http.StatusOK)
}

func (c *restCall) removeFromGroups() {
	groups, f, ok := c.groupsRequest()
	if !ok {
		return
	}
	c.hub.removeConnectionsFromGroups(groups, f)
	c.ok(http.StatusOK)
}

// groupsRequest reads and validates a groups request body: application/json, at most
// MaxRESTBodySize bytes, groups required (each a valid group name), filter optional (absent
// or empty selects every connection).
func (c *restCall) groupsRequest() ([]string, filterFunc, bool) {
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(mt, wire.ContentTypeJSON) {
		c.serviceError(http.StatusUnsupportedMediaType, "Error.UnsupportedMediaType",
			"Content-Type must be application/json, got '"+c.r.Header.Get("Content-Type")+"'.", "Content-Type")
		return nil, nil, false
	}
	data, ok := c.readBody(MaxRESTBodySize)
	if !ok {
		return nil, nil, false
	}
	var req groupsRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&req); err != nil || dec.More() {
		c.validationError("$", "The request body is not a valid JSON object with groups and filter.")
		return nil, nil, false
	}
	if len(req.Groups) == 0 {
		c.validationError("Groups", msgInvalidGroupName)
		return nil, nil, false
	}
	for _, g := range req.Groups {
		if !validGroupName(g) {
			c.validationError("Groups", msgInvalidGroupName)
			return nil, nil, false
		}
	}
	var f filterFunc
	if req.Filter != nil {
		if f, err = parseFilter(*req.Filter); err != nil {
			c.validationError("Filter", filterMessage(err))
			return nil, nil, false
		}
	}
	return req.Groups, f, true
}

// connectionNotFound answers 404 with code for the connection of the path.
func (c *restCall) connectionNotFound(code string) {
	c.serviceError(http.StatusNotFound, code, "Connection `"+c.p.connection+"` is not found.", "Connection")
}

func (c *restCall) userNotFound() {
	c.serviceError(http.StatusNotFound, "Warning.User.NotExisted", "User `"+c.p.user+"` is not found.", "User")
}
