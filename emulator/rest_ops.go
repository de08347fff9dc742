package emulator

import "net/http"

// Closing connections. Closing what does not exist succeeds (204), as on the service.

func (c *restCall) closeAll() {
	reason, _ := c.query.get("reason")
	c.hub.closeAll(c.query.all("excluded"), reason)
	c.ok(http.StatusNoContent)
}

func (c *restCall) closeGroup() {
	reason, _ := c.query.get("reason")
	c.hub.closeGroup(c.p.group, c.query.all("excluded"), reason)
	c.ok(http.StatusNoContent)
}

func (c *restCall) closeUser() {
	reason, _ := c.query.get("reason")
	c.hub.closeUser(c.p.user, c.query.all("excluded"), reason)
	c.ok(http.StatusNoContent)
}

func (c *restCall) closeConnection() {
	reason, _ := c.query.get("reason")
	c.hub.closeConnection(c.p.connection, reason)
	c.ok(http.StatusNoContent)
}

// Existence checks: 200, or 404 with a Warning.*.NotExisted code and no body.

func (c *restCall) connectionExists() {
	if !c.hub.connectionExists(c.p.connection) {
		c.connectionNotFound("Warning.Connection.NotExisted")
		return
	}
	c.ok(http.StatusOK)
}

func (c *restCall) userExists() {
	if !c.hub.userExists(c.p.user) {
		c.userNotFound()
		return
	}
	c.ok(http.StatusOK)
}

// groupExists: a group exists while it has at least one connection. The service's exact
// 404 message was never recorded (only its length); the emulator's wording follows the
// user and connection ones.
func (c *restCall) groupExists() {
	if !c.hub.groupExists(c.p.group) {
		c.serviceError(http.StatusNotFound, "Warning.Group.NotExisted", "Group `"+c.p.group+"` is not found.", "Group")
		return
	}
	c.ok(http.StatusOK)
}

// Permissions. targetName (the group) is required by all three operations: the service
// answers a revoke without it with 400, and the emulator treats grant and check alike.

// targetName returns the targetName query parameter, answering 400 when it is missing or
// not a valid group name.
func (c *restCall) targetName() (string, bool) {
	g, _ := c.query.get("targetName")
	if !validGroupName(g) {
		c.serviceError(http.StatusBadRequest, "Error.BadRequest", msgInvalidGroupName, "Request")
		return "", false
	}
	return g, true
}

func (c *restCall) grantPermission() {
	g, ok := c.targetName()
	if !ok {
		return
	}
	if !c.hub.grantPermission(c.p.connection, c.p.permission, g) {
		c.connectionNotFound("Info.Connection.NotExisted")
		return
	}
	c.ok(http.StatusOK)
}

func (c *restCall) revokePermission() {
	g, ok := c.targetName()
	if !ok {
		return
	}
	c.hub.revokePermission(c.p.connection, c.p.permission, g)
	c.ok(http.StatusNoContent)
}

// checkPermission answers 200 when the connection has the permission on the group (by a
// grant or by its roles), 404 Info.Connection.NotExisted for an unknown connection, and 404
// Warning.Permission.NotGranted otherwise (that code is the emulator's: the service's was
// never recorded).
func (c *restCall) checkPermission() {
	g, ok := c.targetName()
	if !ok {
		return
	}
	exists, granted := c.hub.checkPermission(c.p.connection, c.p.permission, g)
	switch {
	case !exists:
		c.connectionNotFound("Info.Connection.NotExisted")
	case !granted:
		c.serviceError(http.StatusNotFound, "Warning.Permission.NotGranted",
			"Connection `"+c.p.connection+"` has no permission `"+c.p.permission+"` on group `"+g+"`.", "Permission")
	default:
		c.ok(http.StatusOK)
	}
}
