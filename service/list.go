package service

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// MaxListPageSize is the largest page size the service accepts for
// [Client.ListConnectionsInGroup].
const MaxListPageSize = 200

// ListConnectionsInGroupOptions are the options of [Client.ListConnectionsInGroup].
type ListConnectionsInGroupOptions struct {
	// MaxPageSize (1-200) is the page size asked for; 0 lets the service choose.
	MaxPageSize int
	// Top (≥ 1) caps the total number of connections listed; 0 means all.
	Top int
	// ContinuationToken resumes a listing from a token the service returned earlier.
	ContinuationToken string
}

// GroupMember is one connection listed by [Client.ListConnectionsInGroup].
type GroupMember struct {
	// ConnectionID is the connection id.
	ConnectionID string `json:"connectionId"`
	// UserID is the connection's user id, "" for an anonymous connection.
	UserID string `json:"userId"`
}

// ListConnectionsInGroupResponse is one page of [Client.ListConnectionsInGroup].
type ListConnectionsInGroupResponse struct {
	// Value holds the page's connections.
	Value []GroupMember `json:"value"`
	// NextLink is the absolute URL of the next page, "" on the last page.
	NextLink string `json:"nextLink"`
}

// ListConnectionsInGroup returns a pager over the connections in group
// (GET /api/hubs/{hub}/groups/{group}/connections, api-version 2024-12-01 or later). An
// empty or unknown group gives one empty page. The pager follows the service's nextLink;
// errors (also from later pages) are *azcore.ResponseError. Bad arguments surface from
// the first NextPage call, wrapping [ErrInvalidArgument].
func (c *Client) ListConnectionsInGroup(group string, opts *ListConnectionsInGroupOptions) *runtime.Pager[ListConnectionsInGroupResponse] {
	var o ListConnectionsInGroupOptions
	if opts != nil {
		o = *opts
	}
	return runtime.NewPager(runtime.PagingHandler[ListConnectionsInGroupResponse]{
		More: func(page ListConnectionsInGroupResponse) bool { return page.NextLink != "" },
		Fetcher: func(ctx context.Context, page *ListConnectionsInGroupResponse) (ListConnectionsInGroupResponse, error) {
			var rawURL string
			if page == nil {
				q, err := listQuery(group, o)
				if err != nil {
					return ListConnectionsInGroupResponse{}, err
				}
				rawURL = c.buildURL(opListConnectionsInGroup, args{group: group}, q)
			} else {
				u, err := c.nextLinkURL(page.NextLink)
				if err != nil {
					return ListConnectionsInGroupResponse{}, err
				}
				rawURL = u
			}
			resp, err := c.send(ctx, opListConnectionsInGroup, rawURL, nil)
			if err != nil {
				return ListConnectionsInGroupResponse{}, err
			}
			var out ListConnectionsInGroupResponse
			if err := runtime.UnmarshalAsJSON(resp, &out); err != nil {
				return ListConnectionsInGroupResponse{}, fmt.Errorf("webpubsub: list connections response: %w", err)
			}
			return out, nil
		},
	})
}

func listQuery(group string, o ListConnectionsInGroupOptions) (url.Values, error) {
	if err := checkGroup(group); err != nil {
		return nil, err
	}
	if o.MaxPageSize < 0 || o.MaxPageSize > MaxListPageSize {
		return nil, fmt.Errorf("%w: MaxPageSize %d is outside 1-%d", ErrInvalidArgument, o.MaxPageSize, MaxListPageSize)
	}
	if o.Top < 0 {
		return nil, fmt.Errorf("%w: Top %d is negative", ErrInvalidArgument, o.Top)
	}
	q := url.Values{}
	if o.MaxPageSize > 0 {
		q.Set("maxpagesize", strconv.Itoa(o.MaxPageSize))
	}
	if o.Top > 0 {
		q.Set("top", strconv.Itoa(o.Top))
	}
	if o.ContinuationToken != "" {
		q.Set("continuationToken", o.ContinuationToken)
	}
	return q, nil
}

// nextLinkURL takes the path and query of a nextLink and puts them on the client's
// endpoint (so credentials never go to another host, and a reverse proxy still applies),
// making sure the query carries the api-version (the service includes it).
func (c *Client) nextLinkURL(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.EscapedPath(), "/") {
		return "", fmt.Errorf("webpubsub: invalid nextLink %q", link)
	}
	base, err := url.Parse(c.endpoint)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if q.Get("api-version") == "" {
		q.Set("api-version", c.apiVersion)
		u.RawQuery = q.Encode()
	}
	return base.Scheme + "://" + base.Host + u.EscapedPath() + "?" + u.RawQuery, nil
}
