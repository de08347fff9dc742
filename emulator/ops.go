package emulator

import (
	"iter"
	"maps"
	"slices"
)

// The hub state operations behind the REST API. Every operation is safe for concurrent use;
// sends never block on a slow receiver (see conn.enqueue).

// outMessage is a message sent through the REST API: data as received and its data type,
// "text" (text/plain), "json" (application/json) or "binary" (application/octet-stream).
type outMessage struct {
	data     []byte
	dataType string
}

// target is what an OData filter sees of a connection.
type target struct {
	connectionID, userID string
	groups               []string
}

// filterFunc selects connections; a nil filterFunc selects every connection.
type filterFunc func(target) bool

// groupMember is one entry of listConnectionsInGroup.
type groupMember struct {
	connectionID, userID string
}

// selectLocked returns the connections of cs (n of them, a capacity hint) that are not
// excluded and pass f.
func selectLocked(cs iter.Seq[*conn], n int, excluded []string, f filterFunc) []*conn {
	out := make([]*conn, 0, n)
	for c := range cs {
		if len(excluded) > 0 && slices.Contains(excluded, c.id) {
			continue
		}
		if f != nil && !f(targetLocked(c)) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// allLocked returns every connection of the hub that is not excluded and passes f.
func (h *hub) allLocked(excluded []string, f filterFunc) []*conn {
	return selectLocked(maps.Values(h.conns), len(h.conns), excluded, f)
}

// membersLocked returns the members of a connection set (a group's or a user's) that are not
// excluded and pass f.
func membersLocked(set map[*conn]struct{}, excluded []string, f filterFunc) []*conn {
	return selectLocked(maps.Keys(set), len(set), excluded, f)
}

// changeGroups makes every connection sel returns (called under the hub lock) join (join)
// or leave each of groups, and sends the presence events of the changes. With join false and
// groups nil, each connection leaves every group it is in.
func (h *hub) changeGroups(sel func() []*conn, groups []string, join bool) {
	h.mu.Lock()
	var changes []membership
	for _, c := range sel() {
		gs := groups
		if gs == nil && !join {
			gs = slices.Collect(maps.Keys(c.groups))
		}
		for _, g := range gs {
			changed := false
			if join {
				changed = h.joinLocked(g, c)
			} else {
				changed = h.leaveLocked(g, c)
			}
			if changed {
				changes = append(changes, membership{c, g, join})
			}
		}
	}
	h.mu.Unlock()
	h.presence(changes)
}

// broadcast delivers d to every receiver and ends the receivers whose queues overflowed.
func broadcast(receivers []*conn, d *delivery) {
	var overflow []*conn
	var jobs []writeJob
	for _, c := range receivers {
		ok, ws := c.deliverDeferred(d)
		if !ok {
			overflow = append(overflow, c)
		} else if ws != nil {
			jobs = append(jobs, writeJob{c, ws})
		}
	}
	runWriters(jobs)
	for _, c := range overflow {
		c.overflow()
	}
}

func (h *hub) sendToAll(m outMessage, excluded []string, f filterFunc) {
	h.mu.RLock()
	rs := h.allLocked(excluded, f)
	h.mu.RUnlock()
	broadcast(rs, newDelivery(fromServer, "", "", m))
}

func (h *hub) sendToUser(userID string, m outMessage, f filterFunc) {
	h.mu.RLock()
	rs := membersLocked(h.users[userID], nil, f)
	h.mu.RUnlock()
	broadcast(rs, newDelivery(fromServer, "", "", m))
}

func (h *hub) sendToGroup(group string, m outMessage, excluded []string, f filterFunc) {
	h.mu.RLock()
	rs := membersLocked(h.groups[group], excluded, f)
	h.mu.RUnlock()
	broadcast(rs, newDelivery(fromGroup, group, "", m))
}

func (h *hub) sendToConnection(connID string, m outMessage) bool {
	c := h.lookup(connID)
	if c == nil {
		return false
	}
	broadcast([]*conn{c}, newDelivery(fromServer, "", "", m))
	return true
}

func (h *hub) connectionExists(id string) bool { return h.lookup(id) != nil }

func (h *hub) userExists(userID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users[userID]) > 0
}

func (h *hub) groupExists(group string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.groups[group]) > 0
}

// closeConnection ends connection connID with reason (sent to PubSub clients in the
// disconnected system message and to the upstream disconnected event).
func (h *hub) closeConnection(connID, reason string) bool {
	c := h.lookup(connID)
	if c == nil {
		return false
	}
	c.end(reason, closeNormal)
	return true
}

func (h *hub) closeAll(excluded []string, reason string) {
	h.mu.RLock()
	rs := h.allLocked(excluded, nil)
	h.mu.RUnlock()
	for _, c := range rs {
		c.end(reason, closeNormal)
	}
}

func (h *hub) closeUser(userID string, excluded []string, reason string) {
	h.mu.RLock()
	rs := membersLocked(h.users[userID], excluded, nil)
	h.mu.RUnlock()
	for _, c := range rs {
		c.end(reason, closeNormal)
	}
}

func (h *hub) closeGroup(group string, excluded []string, reason string) {
	h.mu.RLock()
	rs := membersLocked(h.groups[group], excluded, nil)
	h.mu.RUnlock()
	for _, c := range rs {
		c.end(reason, closeNormal)
	}
}

// addConnectionToGroup reports false when there is no such connection.
func (h *hub) addConnectionToGroup(group, connID string) bool {
	h.mu.Lock()
	c := h.conns[connID]
	if c == nil {
		h.mu.Unlock()
		return false
	}
	joined := h.joinLocked(group, c)
	h.mu.Unlock()
	if joined {
		h.presence([]membership{{c, group, true}})
	}
	return true
}

func (h *hub) removeConnectionFromGroup(group, connID string) {
	h.changeGroups(func() []*conn { return h.connLocked(connID) }, []string{group}, false)
}

func (h *hub) removeConnectionFromAllGroups(connID string) {
	h.changeGroups(func() []*conn { return h.connLocked(connID) }, nil, false)
}

// addUserToGroup adds the user's current connections to group. Connections the user opens
// later are not added (see docs/emulator.md, "addUserToGroup").
func (h *hub) addUserToGroup(group, userID string) {
	h.changeGroups(func() []*conn { return membersLocked(h.users[userID], nil, nil) }, []string{group}, true)
}

func (h *hub) removeUserFromGroup(group, userID string) {
	h.changeGroups(func() []*conn { return membersLocked(h.users[userID], nil, nil) }, []string{group}, false)
}

func (h *hub) removeUserFromAllGroups(userID string) {
	h.changeGroups(func() []*conn { return membersLocked(h.users[userID], nil, nil) }, nil, false)
}

func (h *hub) addConnectionsToGroups(groups []string, f filterFunc) {
	h.changeGroups(func() []*conn { return h.allLocked(nil, f) }, groups, true)
}

func (h *hub) removeConnectionsFromGroups(groups []string, f filterFunc) {
	h.changeGroups(func() []*conn { return h.allLocked(nil, f) }, groups, false)
}

// connLocked returns connection connID as a one-element list (none when it does not exist).
func (h *hub) connLocked(connID string) []*conn {
	if c := h.conns[connID]; c != nil {
		return []*conn{c}
	}
	return nil
}

// grantPermission grants permission ("sendToGroup" or "joinLeaveGroup") on targetGroup ("" =
// every group) to connID; false when there is no such connection.
func (h *hub) grantPermission(connID, permission, targetGroup string) bool {
	c := h.lookup(connID)
	if c == nil {
		return false
	}
	c.perms.grant(permission, targetGroup)
	return true
}

// revokePermission removes a grant and the equal literal role (webpubsub.<permission>.<group>,
// or webpubsub.<permission> for targetGroup ""). Wildcard roles stay.
func (h *hub) revokePermission(connID, permission, targetGroup string) {
	if c := h.lookup(connID); c != nil {
		c.perms.revoke(permission, targetGroup)
	}
}

// checkPermission reports whether the connection exists and whether it may use permission on
// targetGroup ("" = on every group).
func (h *hub) checkPermission(connID, permission, targetGroup string) (exists, granted bool) {
	c := h.lookup(connID)
	if c == nil {
		return false, false
	}
	return true, c.perms.allowed(permission, targetGroup)
}

func (h *hub) listConnectionsInGroup(group string) []groupMember {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]groupMember, 0, len(h.groups[group]))
	for c := range h.groups[group] {
		out = append(out, groupMember{connectionID: c.id, userID: c.userID})
	}
	slices.SortFunc(out, func(a, b groupMember) int {
		switch {
		case a.connectionID < b.connectionID:
			return -1
		case a.connectionID > b.connectionID:
			return 1
		}
		return 0
	})
	return out
}
