package service

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// ErrInvalidConnectionString is wrapped by every error [ParseConnectionString] returns. The
// wrapping error names the offending key or segment and never contains the access key.
var ErrInvalidConnectionString = errors.New("webpubsub: invalid connection string")

// ConnectionString is a parsed Web PubSub connection string such as
//
//	Endpoint=https://<name>.webpubsub.azure.com;AccessKey=<key>;Version=1.0;
//
// Its String, GoString and LogValue methods redact the access key, so a ConnectionString
// may be printed or logged safely. [ConnectionString.Secret] renders it with the key.
type ConnectionString struct {
	// Endpoint is the REST endpoint: scheme, host and port (Port applied), no trailing
	// slash, e.g. "https://contoso.webpubsub.azure.com" or "http://127.0.0.1:7071".
	Endpoint string
	// AccessKey is the key, kept verbatim. Its UTF-8 bytes are the HS256 signing key.
	// Empty when the string carried no AccessKey (only valid for Entra ID use).
	AccessKey string
	// Version is the Version field (every SDK ignores it; "1.0" in practice).
	Version string
	// Port is the Port field, 0 when absent. It is already applied to Endpoint.
	Port int
	// ClientEndpoint is an extension borrowed from Azure SignalR connection strings: the
	// base URL that WebSocket clients use when it differs from Endpoint (for instance
	// inside Docker). Empty when absent; client access URLs then use Endpoint.
	ClientEndpoint string
}

// ParseConnectionString parses a Web PubSub connection string. Segments are separated by
// ';' (empty segments are skipped), split at the first '='; keys are case-insensitive,
// keys and values are trimmed. Endpoint (http or https) and AccessKey are required; Port
// must be 1-65535. A segment without '=', a duplicate key, or an invalid value is an
// error wrapping [ErrInvalidConnectionString]; unknown keys are ignored. The error never
// echoes the access key.
func ParseConnectionString(s string) (ConnectionString, error) {
	cs, err := parseConnectionString(s)
	if err != nil {
		return ConnectionString{}, err
	}
	if cs.AccessKey == "" {
		return ConnectionString{}, fmt.Errorf("%w: AccessKey is missing", ErrInvalidConnectionString)
	}
	return cs, nil
}

func parseConnectionString(s string) (ConnectionString, error) {
	var cs ConnectionString
	seen := map[string]bool{}
	var endpoint, port, clientEndpoint string
	for i, seg := range strings.Split(s, ";") {
		if strings.TrimSpace(seg) == "" {
			continue
		}
		k, v, ok := strings.Cut(seg, "=")
		k = strings.TrimSpace(k)
		if !ok {
			// Do not echo the segment: it may be a key pasted without its name.
			return cs, fmt.Errorf("%w: segment %d has no '='", ErrInvalidConnectionString, i+1)
		}
		if k == "" {
			return cs, fmt.Errorf("%w: segment %d has an empty key", ErrInvalidConnectionString, i+1)
		}
		lk := strings.ToLower(k)
		v = strings.TrimSpace(v)
		switch lk {
		case "endpoint", "accesskey", "version", "port", "clientendpoint":
		default:
			continue
		}
		if seen[lk] {
			return cs, fmt.Errorf("%w: duplicate key %q", ErrInvalidConnectionString, k)
		}
		seen[lk] = true
		switch lk {
		case "endpoint":
			endpoint = v
		case "accesskey":
			cs.AccessKey = v
		case "version":
			cs.Version = v
		case "port":
			port = v
		case "clientendpoint":
			clientEndpoint = v
		}
	}
	if endpoint == "" {
		return cs, fmt.Errorf("%w: Endpoint is missing", ErrInvalidConnectionString)
	}
	u, err := parseEndpoint(endpoint)
	if err != nil {
		return cs, fmt.Errorf("%w: Endpoint: %v", ErrInvalidConnectionString, err)
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return cs, fmt.Errorf("%w: Port %q is not a number in 1-65535", ErrInvalidConnectionString, port)
		}
		cs.Port = p
		u.Host = joinHostPort(u.Hostname(), port)
	}
	cs.Endpoint = u.String()
	if clientEndpoint != "" {
		cu, err := parseEndpoint(clientEndpoint)
		if err != nil {
			return cs, fmt.Errorf("%w: ClientEndpoint: %v", ErrInvalidConnectionString, err)
		}
		cs.ClientEndpoint = cu.String()
	}
	return cs, nil
}

// parseEndpoint validates an http(s) base URL and returns it normalised: lower-case
// scheme, no trailing slash, no query, fragment or user info.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme must be http or https, got %q", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("host is missing")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q is not a number in 1-65535", p)
		}
	}
	if u.User != nil {
		return nil, errors.New("user info is not allowed")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("query and fragment are not allowed")
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

const redacted = "REDACTED"

// String returns the connection string with the access key replaced by "REDACTED".
func (cs ConnectionString) String() string { return cs.render(redacted) }

// GoString is like String, so %#v does not leak the key either.
func (cs ConnectionString) GoString() string { return "service.ConnectionString(" + cs.String() + ")" }

// LogValue implements [slog.LogValuer]: the endpoint, port and version, never the key.
func (cs ConnectionString) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("endpoint", cs.Endpoint), slog.String("accessKey", redacted)}
	if cs.ClientEndpoint != "" {
		attrs = append(attrs, slog.String("clientEndpoint", cs.ClientEndpoint))
	}
	return slog.GroupValue(attrs...)
}

// Secret renders the connection string including the access key, in a form that
// [ParseConnectionString] reads back. Handle the result as a secret.
func (cs ConnectionString) Secret() string { return cs.render(cs.AccessKey) }

func (cs ConnectionString) render(key string) string {
	var b strings.Builder
	b.WriteString("Endpoint=" + cs.Endpoint + ";")
	if cs.AccessKey != "" {
		b.WriteString("AccessKey=" + key + ";")
	}
	if cs.ClientEndpoint != "" {
		b.WriteString("ClientEndpoint=" + cs.ClientEndpoint + ";")
	}
	v := cs.Version
	if v == "" {
		v = "1.0"
	}
	b.WriteString("Version=" + v + ";")
	return b.String()
}

var _ slog.LogValuer = ConnectionString{}
