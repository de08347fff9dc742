package service

import "context"

// GetServiceStatusOptions are the options of [Client.GetServiceStatus].
type GetServiceStatusOptions struct{}

// GetServiceStatusResponse is the result of [Client.GetServiceStatus].
type GetServiceStatusResponse struct{}

// GetServiceStatus checks the service health (HEAD /api/health, sent without
// credentials). A nil error means healthy (any 2xx); otherwise the error is an
// *azcore.ResponseError or a transport error.
func (c *Client) GetServiceStatus(ctx context.Context, _ *GetServiceStatusOptions) (GetServiceStatusResponse, error) {
	_, err := c.do(ctx, opHealth, args{}, nil, nil)
	return GetServiceStatusResponse{}, err
}
