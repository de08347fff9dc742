package service

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

const (
	moduleName    = "github.com/webpubsub-go/webpubsub/service"
	moduleVersion = "v0.1.0"

	// DefaultAPIVersion is the data-plane API version sent when ClientOptions.APIVersion is
	// empty: the newest GA version (the one every current official SDK sends).
	DefaultAPIVersion = "2024-12-01"

	// EntraScope is the OAuth scope requested from an [azcore.TokenCredential].
	EntraScope = "https://webpubsub.azure.com/.default"
)

// ErrInvalidArgument is wrapped by the errors constructors and operations return for
// bad input detected before any request is sent (empty ids, bad hub names, bad options).
var ErrInvalidArgument = errors.New("webpubsub: invalid argument")

// hubPattern is the hub-name rule of the REST API.
var hubPattern = regexp.MustCompile("^[A-Za-z][A-Za-z0-9_`,.\\[\\]]{0,127}$")

// ClientOptions configures a [Client]. A nil *ClientOptions means defaults. The embedded
// azcore ClientOptions set the transport, retries (default: 3 retries with exponential
// back-off on 408, 429, 500, 502, 503 and 504), logging, telemetry and tracing.
type ClientOptions struct {
	azcore.ClientOptions

	// APIVersion is the api-version query parameter sent with every request. Default:
	// [DefaultAPIVersion]. (It takes precedence over the embedded ClientOptions.APIVersion.)
	APIVersion string

	// ReverseProxyEndpoint, when set, sends every REST request to this base URL (for
	// example an Azure API Management gateway) instead of the service endpoint: the
	// request path and query are appended to it, while the access-key JWT audience stays
	// the original service URL, as in the official SDKs. Client access URLs are not
	// rewritten. Default: none.
	ReverseProxyEndpoint string

	// now is the clock used for tokens (tests only).
	now func() time.Time
}

// Client is a data-plane client bound to one hub, the Go counterpart of the Python
// WebPubSubServiceClient. Create it with [NewClientFromConnectionString], [NewClientWithKey]
// or [NewClient]; the zero Client is not usable. A Client is safe for concurrent use;
// every method takes a context that bounds the whole call, retries included.
type Client struct {
	hub            string
	hubEscaped     string // hub, path-escaped
	endpoint       string // REST base URL, no trailing slash
	clientEndpoint string // base of client access URLs
	apiVersion     string
	key            *azcore.KeyCredential
	cred           azcore.TokenCredential
	signer         *keySigner
	pl             runtime.Pipeline // authenticated
	anon           runtime.Pipeline // no credential (health)
	now            func() time.Time
	static         map[string]string // op path → full URL, for operations without arguments
	deferredQuery  string            // "api-version=…" when deferred (see restoreQuery), else ""
	urls           urlCache          // parsed request URLs
}

// NewClientFromConnectionString returns a client for hub authenticated with the access
// key of connectionString (see [ParseConnectionString]). When the connection string
// carries a ClientEndpoint, client access URLs use it.
func NewClientFromConnectionString(connectionString, hub string, opts *ClientOptions) (*Client, error) {
	cs, err := ParseConnectionString(connectionString)
	if err != nil {
		return nil, err
	}
	c, err := newClient(cs.Endpoint, hub, azcore.NewKeyCredential(cs.AccessKey), nil, opts)
	if err != nil {
		return nil, err
	}
	if cs.ClientEndpoint != "" {
		c.clientEndpoint = cs.ClientEndpoint
	}
	return c, nil
}

// NewClientWithKey returns a client for hub at endpoint (http or https base URL)
// authenticated with an access key: every request carries a short-lived HS256 JWT signed
// with the key. Key rotation: call key.Update; tokens signed with the old key are dropped.
func NewClientWithKey(endpoint, hub string, key *azcore.KeyCredential, opts *ClientOptions) (*Client, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: key credential is nil", ErrInvalidArgument)
	}
	return newClient(endpoint, hub, key, nil, opts)
}

// NewClient returns a client for hub at endpoint authenticated with Microsoft Entra ID
// (any azcore.TokenCredential, for instance from azidentity), scope [EntraScope]. Client
// access tokens are then fetched from the service's generateToken operation. Bearer
// tokens are refused over plain http unless ClientOptions.InsecureAllowCredentialWithHTTP
// is set.
func NewClient(endpoint, hub string, cred azcore.TokenCredential, opts *ClientOptions) (*Client, error) {
	if cred == nil {
		return nil, fmt.Errorf("%w: token credential is nil", ErrInvalidArgument)
	}
	return newClient(endpoint, hub, nil, cred, opts)
}

func newClient(endpoint, hub string, key *azcore.KeyCredential, cred azcore.TokenCredential, opts *ClientOptions) (*Client, error) {
	if !hubPattern.MatchString(hub) {
		return nil, fmt.Errorf("%w: hub name %q must start with a letter and hold at most 128 letters, digits, or _`,.[]", ErrInvalidArgument, hub)
	}
	u, err := parseEndpoint(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint: %v", ErrInvalidArgument, err)
	}
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	c := &Client{
		hub:        hub,
		endpoint:   u.String(),
		apiVersion: o.APIVersion,
		key:        key,
		cred:       cred,
		now:        o.now,
	}
	c.clientEndpoint = c.endpoint
	c.hubEscaped = url.PathEscape(hub)
	if c.apiVersion == "" {
		c.apiVersion = o.ClientOptions.APIVersion
	}
	if c.apiVersion == "" {
		c.apiVersion = DefaultAPIVersion
	}
	c.static = make(map[string]string)
	for _, o := range []op{opHealth, opSendToAll, opCloseAllConnections, opAddConnectionsToGroups, opRemoveConnectionsFromGroups, opGenerateToken} {
		c.static[o.path] = c.expandURL(o, args{}, nil)
	}
	if c.now == nil {
		c.now = time.Now
	}
	azOpts := o.ClientOptions
	if azOpts.Retry.StatusCodes == nil {
		// azcore's default list, given explicitly: azcore otherwise builds it on every call.
		azOpts.Retry.StatusCodes = []int{
			http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout,
		}
	}
	// Per-call policies of the caller run before the retry policy: they see the full URL
	// as before, so the query is deferred only without them (see restoreQuery).
	if len(azOpts.PerCallPolicies) == 0 {
		c.deferredQuery = "api-version=" + url.QueryEscape(c.apiVersion)
	}
	azOpts.APIVersion = "" // we set api-version ourselves, on every request
	// Our per-retry policies. The last of them also hands net/http the in-memory body
	// (inMemoryBody): the proxy policy when there is one, else the key policy, else a
	// policy of its own. Fewer policies, fewer per-call allocations in azcore.
	var perRetry, anonPerRetry []policy.Policy
	var proxy *proxyPolicy
	if o.ReverseProxyEndpoint != "" {
		pu, err := parseEndpoint(o.ReverseProxyEndpoint)
		if err != nil {
			return nil, fmt.Errorf("%w: ReverseProxyEndpoint: %v", ErrInvalidArgument, err)
		}
		proxy = &proxyPolicy{proxy: pu, endpoint: u, query: c.deferredQuery}
	}
	switch {
	case key != nil:
		c.signer = newKeySigner(key, c.now)
		perRetry = append(perRetry, &keyPolicy{signer: c.signer, fillBody: proxy == nil, query: c.deferredQuery})
	case cred != nil:
		perRetry = append(perRetry, runtime.NewBearerTokenPolicy(cred, []string{EntraScope}, &policy.BearerTokenOptions{
			InsecureAllowCredentialWithHTTP: azOpts.InsecureAllowCredentialWithHTTP,
		}))
	}
	if proxy != nil {
		perRetry = append(perRetry, proxy)
		anonPerRetry = append(anonPerRetry, proxy)
	} else {
		if key == nil {
			perRetry = append(perRetry, bodyPolicy{query: c.deferredQuery})
		}
		anonPerRetry = append(anonPerRetry, bodyPolicy{query: c.deferredQuery})
	}
	plOpts := runtime.PipelineOptions{
		PerRetry:               perRetry,
		AllowedHeaders:         []string{"api-supported-versions", "x-ms-error-code"},
		AllowedQueryParameters: []string{"api-version", "messageTtlSeconds", "minutesToExpire", "clientType", "maxpagesize", "top", "targetName"},
		Tracing:                runtime.TracingOptions{Namespace: "Microsoft.SignalRService"},
	}
	c.pl = runtime.NewPipeline(moduleName, moduleVersion, plOpts, &azOpts)
	plOpts.PerRetry = anonPerRetry
	c.anon = runtime.NewPipeline(moduleName, moduleVersion, plOpts, &azOpts)
	return c, nil
}

// Hub returns the hub the client is bound to.
func (c *Client) Hub() string { return c.hub }

// Endpoint returns the service endpoint (REST base URL, no trailing slash).
func (c *Client) Endpoint() string { return c.endpoint }

// APIVersion returns the api-version the client sends.
func (c *Client) APIVersion() string { return c.apiVersion }

// proxyPolicy sends the request to the reverse proxy: the proxy base URL followed by the
// request path below the endpoint and the query. It runs after the auth policy, so the
// JWT audience is the original service URL. Being our last per-retry policy, it also
// hands net/http the in-memory body.
type proxyPolicy struct {
	proxy    *url.URL
	endpoint *url.URL
	query    string // deferred query, see restoreQuery
}

func (p *proxyPolicy) Do(req *policy.Request) (*http.Response, error) {
	restoreQuery(req, p.query)
	raw := req.Raw()
	orig := raw.URL
	u := *p.proxy
	rel := strings.TrimPrefix(orig.EscapedPath(), p.endpoint.EscapedPath())
	u.Path, u.RawPath = "", ""
	full := strings.TrimRight(p.proxy.EscapedPath(), "/") + rel
	if err := setEscapedPath(&u, full); err != nil {
		return nil, err
	}
	u.RawQuery = orig.RawQuery
	raw.URL = &u
	raw.Host = u.Host
	inMemoryBody(req)
	return req.Next()
}

func setEscapedPath(u *url.URL, escaped string) error {
	p, err := url.PathUnescape(escaped)
	if err != nil {
		return err
	}
	u.Path = p
	u.RawPath = escaped
	return nil
}
