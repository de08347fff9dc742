package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

type listPage struct {
	Value []struct {
		ConnectionID string  `json:"connectionId"`
		UserID       *string `json:"userId"`
	} `json:"value"`
	NextLink *string `json:"nextLink"`
}

// listAll follows nextLinks from the first page like the JS SDK (verbatim, signed with the
// link as audience) and returns the ids, the page sizes and the links.
func (r *restEnv) listAll(t *testing.T, query string) (ids []string, sizes []int, links []string) {
	t.Helper()
	u := r.srv.URL() + r.api("/groups/room/connections", query)
	for range 100 {
		resp := r.callWith(http.MethodGet, u, "", nil, http.Header{"Authorization": {"Bearer " + restToken(t, restTestKey, u, time.Hour)}})
		resp.wantStatus(t, "GET "+u, http.StatusOK)
		if ct := resp.header.Get("Content-Type"); ct != contentTypeJSONUTF8 {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.Contains(string(resp.body), `"userId"`) && strings.Contains(string(resp.body), "connectionId") {
			t.Errorf("page without userId fields: %s", resp.body)
		}
		var p listPage
		if err := json.Unmarshal(resp.body, &p); err != nil {
			t.Fatalf("page %s: %v", resp.body, err)
		}
		if p.Value == nil {
			t.Fatalf("page %s has no value array", resp.body)
		}
		sizes = append(sizes, len(p.Value))
		for _, v := range p.Value {
			ids = append(ids, v.ConnectionID)
		}
		if p.NextLink == nil {
			return ids, sizes, links
		}
		links = append(links, *p.NextLink)
		u = *p.NextLink
	}
	t.Fatal("more than 100 pages")
	return nil, nil, nil
}

func TestRESTListConnectionsInGroup(t *testing.T) {
	env := newRESTEnv(t, Config{})
	var want []string
	for i := range 6 {
		user := ""
		if i%2 == 0 {
			user = "u" + strconv.Itoa(i)
		}
		want = append(want, env.connect(user, []string{"room"}, nil).id)
	}
	env.connect("outsider", []string{"other"}, nil)
	slices.Sort(want)

	tests := []struct {
		query     string
		wantSizes []int
		wantTops  []string // top= of each nextLink ("" = absent)
	}{
		{"", []int{6}, nil},
		{"maxpagesize=2", []int{2, 2, 2}, []string{"", ""}},
		{"maxpagesize=2&top=5", []int{2, 2, 1}, []string{"3", "1"}},
		{"maxpagesize=4", []int{4, 2}, []string{""}},
		{"maxpagesize=6", []int{6}, nil},
		{"top=3", []int{3}, nil},
		{"top=6&maxpagesize=3", []int{3, 3}, []string{"3"}},
		{"maxpagesize=200&top=100", []int{6}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ids, sizes, links := env.listAll(t, tt.query)
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("page sizes %v, want %v", sizes, tt.wantSizes)
			}
			n := 0
			for _, s := range tt.wantSizes {
				n += s
			}
			got := slices.Clone(ids)
			slices.Sort(got)
			if len(slices.Compact(got)) != len(ids) {
				t.Errorf("duplicate ids %v", ids)
			}
			for _, id := range ids {
				if !slices.Contains(want, id) {
					t.Errorf("id %s is not in the group", id)
				}
			}
			if len(ids) != n {
				t.Errorf("%d ids, want %d", len(ids), n)
			}
			if len(links) != len(tt.wantTops) {
				t.Fatalf("%d nextLinks, want %d", len(links), len(tt.wantTops))
			}
			for i, l := range links {
				u, err := url.Parse(l)
				if err != nil || !strings.HasPrefix(l, env.srv.URL()+"/api/hubs/chat/groups/room/connections?") {
					t.Fatalf("nextLink %q is not an absolute link on the endpoint", l)
				}
				q := u.Query()
				if q.Get("api-version") != "2024-12-01" || q.Get("continuationToken") == "" {
					t.Errorf("nextLink %q lacks api-version or continuationToken", l)
				}
				if q.Get("top") != tt.wantTops[i] {
					t.Errorf("nextLink %q: top %q, want %q", l, q.Get("top"), tt.wantTops[i])
				}
			}
		})
	}

	// userId null for anonymous connections, a string otherwise.
	resp := env.call(http.MethodGet, env.api("/groups/room/connections", ""), "", nil)
	var p listPage
	if err := json.Unmarshal(resp.body, &p); err != nil {
		t.Fatal(err)
	}
	nulls := 0
	for _, v := range p.Value {
		if v.UserID == nil {
			nulls++
		}
	}
	if nulls != 3 || !strings.Contains(string(resp.body), `"userId":null`) {
		t.Errorf("anonymous userIds: %d nulls in %s, want 3", nulls, resp.body)
	}

	// An unknown group: 200 with an empty value array.
	resp = env.call(http.MethodGet, env.api("/groups/nobody/connections", "maxpagesize=2"), "", nil)
	if resp.status != http.StatusOK || string(resp.body) != `{"value":[]}` {
		t.Errorf("unknown group = %d %s, want 200 {\"value\":[]}", resp.status, resp.body)
	}

	// A whole nextLink passed as the token (as .NET 1.5.0-alpha did) continues the listing.
	_, _, links := env.listAll(t, "maxpagesize=1")
	resp = env.call(http.MethodGet, env.api("/groups/room/connections", "continuationToken="+url.QueryEscape(links[0])), "", nil)
	if err := json.Unmarshal(resp.body, &p); err != nil || len(p.Value) != 5 {
		t.Errorf("listing after a URL token = %s, want the 5 remaining connections", resp.body)
	}
}
