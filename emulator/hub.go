package emulator

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// hubNamePattern is the service's hub name rule, applied by the client endpoint and the
// REST API alike.
var hubNamePattern = regexp.MustCompile("^[A-Za-z][A-Za-z0-9_`,.[\\]]{0,127}$")

// maxGroupName is the longest group name, in characters.
const maxGroupName = 1024

// checkGroupName applies the service's group name rule: 1–1024 characters, not only
// whitespace.
func checkGroupName(g string) error {
	n := utf8.RuneCountInString(g)
	if n == 0 || n > maxGroupName {
		return fmt.Errorf("group name must have 1 to %d characters", maxGroupName)
	}
	if strings.TrimSpace(g) == "" {
		return errors.New("group name must not be only whitespace")
	}
	return nil
}

// hub is the connection and group state of one hub. Its mutex guards the maps and every
// conn.groups set; a conn's own fields are guarded by the conn's mutex. Lock order: hub.mu
// before conn.mu, never the reverse.
type hub struct {
	e    *Emulator
	name string // as first used

	mu     sync.RWMutex
	conns  map[string]*conn              // connection id → conn
	users  map[string]map[*conn]struct{} // user id → its connections
	groups map[string]map[*conn]struct{} // group → members
}

// hub returns the state of the named hub, creating it on first use. Hub names are
// case-insensitive: "Chat" and "chat" are the same hub.
func (e *Emulator) hub(name string) *hub {
	key := strings.ToLower(name)
	e.mu.RLock()
	h := e.hubs[key]
	e.mu.RUnlock()
	if h != nil {
		return h
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if h = e.hubs[key]; h == nil {
		h = &hub{
			e:      e,
			name:   name,
			conns:  make(map[string]*conn),
			users:  make(map[string]map[*conn]struct{}),
			groups: make(map[string]map[*conn]struct{}),
		}
		e.hubs[key] = h
	}
	return h
}

// register adds c to the hub (and its user index).
func (h *hub) register(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conns[c.id] = c
	if c.userID != "" {
		set := h.users[c.userID]
		if set == nil {
			set = make(map[*conn]struct{})
			h.users[c.userID] = set
		}
		set[c] = struct{}{}
	}
}

// unregister removes c from the hub, its user index and every group, returning the groups it
// was in.
func (h *hub) unregister(c *conn) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns[c.id] != c {
		return nil
	}
	delete(h.conns, c.id)
	if set := h.users[c.userID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.users, c.userID)
		}
	}
	groups := make([]string, 0, len(c.groups))
	for g := range c.groups {
		h.leaveLocked(g, c)
		groups = append(groups, g)
	}
	return groups
}

// lookup returns the live connection with id, or nil.
func (h *hub) lookup(id string) *conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.conns[id]
}

// joinLocked adds c to group; it reports whether c was not a member before.
func (h *hub) joinLocked(group string, c *conn) bool {
	if _, ok := c.groups[group]; ok {
		return false
	}
	set := h.groups[group]
	if set == nil {
		set = make(map[*conn]struct{})
		h.groups[group] = set
	}
	set[c] = struct{}{}
	if c.groups == nil {
		c.groups = make(map[string]struct{})
	}
	c.groups[group] = struct{}{}
	return true
}

// leaveLocked removes c from group; it reports whether c was a member.
func (h *hub) leaveLocked(group string, c *conn) bool {
	if _, ok := c.groups[group]; !ok {
		return false
	}
	delete(c.groups, group)
	if set := h.groups[group]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.groups, group)
		}
	}
	return true
}

// targetLocked describes c for an OData filter.
func targetLocked(c *conn) target {
	t := target{connectionID: c.id, userID: c.userID, groups: make([]string, 0, len(c.groups))}
	for g := range c.groups {
		t.groups = append(t.groups, g)
	}
	return t
}

// membership is one change of group membership, reported to the upstream as group presence.
type membership struct {
	c      *conn
	group  string
	joined bool
}

// presence sends the joined/left events of changes (when the hub's settings want them).
func (h *hub) presence(changes []membership) {
	for _, m := range changes {
		m.c.groupPresence(m.group, m.joined)
	}
}
