package service

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzBuildURL checks the request builder's escaping round trip: whatever the group,
// user and query values, the URL parses, its raw path splits into exactly the expected
// segments, each segment unescapes to the input, and the query carries the values.
func FuzzBuildURL(f *testing.F) {
	for _, s := range [][2]string{{"g1", "u1"}, {"a/b", "c d"}, {"%2F", "?#"}, {"..", "."}, {"ü", "\x00"}, {"+&=", ";,"}} {
		f.Add(s[0], s[1], "userId eq 'x'")
	}
	c := newTestClient(f, "http://127.0.0.1:7071", nil)
	f.Fuzz(func(t *testing.T, group, user, filter string) {
		raw := c.buildURL(opRemoveUserFromGroup, args{group: group, user: user}, url.Values{"filter": {filter}})
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("buildURL = %q: %v", raw, err)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		want := []string{"", "api", "hubs", "hub1", "users", user, "groups", group}
		if len(segs) != len(want) {
			t.Fatalf("path %q has %d segments, want %d", u.EscapedPath(), len(segs), len(want))
		}
		for i, s := range segs {
			got, err := url.PathUnescape(s)
			if err != nil || got != want[i] {
				t.Fatalf("segment %d = %q (%q, %v), want %q", i, s, got, err, want[i])
			}
		}
		if q := u.Query(); q.Get("filter") != filter || q.Get("api-version") != DefaultAPIVersion {
			t.Fatalf("query = %v", q)
		}
	})
}
