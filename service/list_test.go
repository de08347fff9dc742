package service

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestListPagerReplaysRecordedPages walks the pager through recorded multi-page listings:
// every page request must be the recorded one (the nextLink path and query, sent to our
// endpoint), and the pager must stop where the service stopped.
func TestListPagerReplaysRecordedPages(t *testing.T) {
	tests := []struct {
		file string
		opts ListConnectionsInGroupOptions
	}{
		{"js/group_client_listing_connections/recording_can_list_connections_with_6_connections_maxcounteq5_pagesizeeq2.json", ListConnectionsInGroupOptions{MaxPageSize: 2, Top: 5}},
		{"js/group_client_listing_connections/recording_can_list_connections_with_6_connections_maxcountequndefined_pagesizeeq2.json", ListConnectionsInGroupOptions{MaxPageSize: 2}},
		{"java/WebPubSubServiceClientTests.testListConnectionsInGroupWithContinuationToken.json", ListConnectionsInGroupOptions{MaxPageSize: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/recordings/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var rec recording
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			var wantURIs, wantIDs []string
			var replies []reply
			hub, group := "", ""
			for _, e := range rec.Entries {
				if e.RequestMethod != http.MethodGet {
					continue
				}
				i := strings.Index(e.RequestURI, "/api/")
				wantURIs = append(wantURIs, e.RequestURI[i:])
				if hub == "" {
					_, a, _ := matchRoute("GET", strings.Split(e.RequestURI[i:], "?")[0])
					hub, group = a["hub"], a["group"]
				}
				replies = append(replies, reply{status: e.StatusCode, body: string(e.ResponseBody), header: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
				var page ListConnectionsInGroupResponse
				if err := json.Unmarshal(e.ResponseBody, &page); err != nil {
					t.Fatal(err)
				}
				for _, m := range page.Value {
					wantIDs = append(wantIDs, m.ConnectionID)
				}
			}
			f := newFakeService(t, replies...)
			c, err := NewClientFromConnectionString("Endpoint="+f.srv.URL+";AccessKey="+testKey, hub, nil)
			if err != nil {
				t.Fatal(err)
			}
			pager := c.ListConnectionsInGroup(group, &tc.opts)
			var gotIDs []string
			for pager.More() {
				page, err := pager.NextPage(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range page.Value {
					gotIDs = append(gotIDs, m.ConnectionID)
					if m.UserID != "" {
						t.Errorf("UserID = %q, recorded null", m.UserID)
					}
				}
			}
			reqs := f.requests()
			if len(reqs) != len(wantURIs) {
				t.Fatalf("pager sent %d requests, recorded %d", len(reqs), len(wantURIs))
			}
			for i, r := range reqs {
				got := r.EscapedPath + "?" + r.RawQuery
				if i == 0 {
					// First page: same parameters, our own order.
					if r.Query.Encode() != mustQuery(t, wantURIs[0]) {
						t.Errorf("first request = %s, recorded %s", got, wantURIs[0])
					}
				} else if got != wantURIs[i] {
					t.Errorf("request %d = %s, recorded %s (the nextLink)", i, got, wantURIs[i])
				}
				verifyJWT(t, r.Header.Get("Authorization"), testKey)
			}
			if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") {
				t.Errorf("listed %v, recorded %v", gotIDs, wantIDs)
			}
		})
	}
}

func mustQuery(t *testing.T, uri string) string {
	t.Helper()
	_, q, _ := strings.Cut(uri, "?")
	v, err := parseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
