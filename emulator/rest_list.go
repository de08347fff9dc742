package emulator

import (
	"net/url"
	"strconv"
	"strings"
)

// Paging limits of ListConnectionsInGroup.
const (
	// maxListPageSize is the largest maxpagesize the service accepts; it is also the page
	// size when the request gives none.
	maxListPageSize = 200
	maxListTop      = 2147483647
)

// groupConnection is one item of a ListConnectionsInGroup page; userId is null for
// anonymous connections, as the service writes it.
type groupConnection struct {
	ConnectionID string  `json:"connectionId"`
	UserID       *string `json:"userId"`
}

type groupConnectionsPage struct {
	Value    []groupConnection `json:"value"`
	NextLink string            `json:"nextLink,omitempty"`
}

// listConnectionsInGroup pages through the group's connections in connection id order.
// The continuation token is opaque to clients; the emulator's is the last connection id of
// the page, and a token that is a whole nextLink URL (as one SDK sends) is unwrapped. An
// unknown or empty group gives {"value":[]}. nextLink is absolute, carries api-version, the
// page size and, when top was given, what is left of it; it is absent on the last page.
func (c *restCall) listConnectionsInGroup() {
	pageSize, hasPageSize, ok := c.intParam("maxpagesize", 1, maxListPageSize)
	if !ok {
		return
	}
	if !hasPageSize {
		pageSize = maxListPageSize
	}
	top, hasTop, ok := c.intParam("top", 1, maxListTop)
	if !ok {
		return
	}
	token, _ := c.query.get("continuationToken")
	token = unwrapContinuationToken(token)

	members := c.hub.listConnectionsInGroup(c.p.group) // sorted by connection id
	start := 0
	if token != "" {
		for start < len(members) && members[start].connectionID <= token {
			start++
		}
	}
	n := pageSize
	if hasTop {
		n = min(n, top)
	}
	end := min(start+n, len(members))
	page := groupConnectionsPage{Value: make([]groupConnection, 0, end-start)}
	for _, m := range members[start:end] {
		item := groupConnection{ConnectionID: m.connectionID}
		if m.userID != "" {
			item.UserID = &m.userID
		}
		page.Value = append(page.Value, item)
	}
	left := top - len(page.Value)
	if end < len(members) && (!hasTop || left > 0) {
		q := make([]string, 0, 4)
		if hasTop {
			q = append(q, "top="+strconv.Itoa(left))
		}
		if hasPageSize {
			q = append(q, "maxpagesize="+strconv.Itoa(pageSize))
		}
		q = append(q, "continuationToken="+url.QueryEscape(members[end-1].connectionID), "api-version="+url.QueryEscape(c.apiVersion))
		page.NextLink = c.publicBase() + c.r.URL.EscapedPath() + "?" + strings.Join(q, "&")
	}
	c.writeJSON(page)
}

// unwrapContinuationToken returns the continuationToken inside a token that is a whole
// nextLink URL, or the token itself.
func unwrapContinuationToken(token string) string {
	if !strings.Contains(token, "continuationToken=") {
		return token
	}
	u, err := url.Parse(token)
	if err != nil {
		return token
	}
	if inner := u.Query().Get("continuationToken"); inner != "" {
		return inner
	}
	return token
}

// intParam reads an integer query parameter in [lo, hi]; it answers 400 for a bad value.
func (c *restCall) intParam(name string, lo, hi int) (v int, present, ok bool) {
	s, present := c.query.get(name)
	if !present {
		return 0, false, true
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < lo || v > hi {
		c.validationError(name, "The value '"+s+"' is not valid for "+name+": it must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi)+".")
		return 0, true, false
	}
	return v, true, true
}

// publicBase returns the emulator's public base URL: Config.Endpoint, or the request's own
// scheme and host.
func (c *restCall) publicBase() string {
	if c.e.endpoint != nil {
		return c.e.endpoint.String()
	}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host
}
