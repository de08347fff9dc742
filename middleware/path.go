package middleware

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Placeholders a Config.Path may contain, each as a whole path segment.
const (
	placeholderHub   = "{hub}"
	placeholderEvent = "{event}"
)

// ErrInvalidPath is wrapped by the error [Config.ToMiddleware] returns for a Path it cannot
// use.
var ErrInvalidPath = errors.New("webpubsub: invalid middleware path")

// segmentKind says what one segment of a compiled path pattern matches.
type segmentKind uint8

const (
	segLiteral segmentKind = iota // the literal text, compared case-insensitively
	segHub                        // any non-empty segment: the hub name
	segEvent                      // any non-empty segment: the event name
)

type segment struct {
	kind segmentKind
	text string // for segLiteral
}

// pattern is a compiled Config.Path.
type pattern struct {
	raw      string
	segments []segment
	hasHub   bool
	hasEvent bool
}

// compilePath parses a path pattern such as "/api/webpubsub/hubs/{hub}/" or
// "/eventhandler/{event}". Empty segments (repeated or trailing slashes) are ignored, as
// the prefix match ignores them in requests.
func compilePath(p string) (pattern, error) {
	pat := pattern{raw: p}
	if !strings.HasPrefix(p, "/") {
		return pat, fmt.Errorf("%w %q: must start with /", ErrInvalidPath, p)
	}
	for s := range strings.SplitSeq(p, "/") {
		switch {
		case s == "":
			continue
		case s == placeholderHub:
			if pat.hasHub {
				return pat, fmt.Errorf("%w %q: %s appears twice", ErrInvalidPath, p, placeholderHub)
			}
			pat.hasHub = true
			pat.segments = append(pat.segments, segment{kind: segHub})
		case s == placeholderEvent:
			if pat.hasEvent {
				return pat, fmt.Errorf("%w %q: %s appears twice", ErrInvalidPath, p, placeholderEvent)
			}
			pat.hasEvent = true
			pat.segments = append(pat.segments, segment{kind: segEvent})
		case strings.ContainsAny(s, "{}"):
			return pat, fmt.Errorf("%w %q: segment %q: {hub} and {event} must be whole segments, other braces are not allowed", ErrInvalidPath, p, s)
		case strings.ContainsAny(s, "?#"):
			return pat, fmt.Errorf("%w %q: a path has no query or fragment", ErrInvalidPath, p)
		default:
			pat.segments = append(pat.segments, segment{kind: segLiteral, text: s})
		}
	}
	return pat, nil
}

// match reports whether the request path starts with the pattern, segment by segment and
// ignoring case, the way the official JavaScript handler prefix-matches its path (so
// "/api/webpubsub/hubs/chat/" matches "/api/webpubsub/hubs/chat" and ".../chat/connect" but
// not ".../chatroom"). It returns the path segment in the {hub} position ("" when the
// pattern has none). match does not allocate.
func (p *pattern) match(path string) (hub string, ok bool) {
	rest := path
	for _, seg := range p.segments {
		var s string
		s, rest = nextSegment(rest)
		if s == "" {
			return "", false
		}
		switch seg.kind {
		case segLiteral:
			if !strings.EqualFold(s, seg.text) {
				return "", false
			}
		case segHub:
			hub = s
		}
	}
	return hub, true
}

// nextSegment returns the first non-empty segment of path and what follows it.
func nextSegment(path string) (seg, rest string) {
	path = strings.TrimLeft(path, "/")
	i := strings.IndexByte(path, '/')
	if i < 0 {
		return path, ""
	}
	return path[:i], path[i:]
}

// expand returns the pattern with hub substituted for {hub} (escaped as a path segment),
// keeping {event} as a placeholder for the service, and appending "/{event}" when the
// pattern has no {event}.
func (p *pattern) expand(hub string) string {
	var b strings.Builder
	for _, seg := range p.segments {
		b.WriteByte('/')
		switch seg.kind {
		case segLiteral:
			b.WriteString(seg.text)
		case segHub:
			b.WriteString(url.PathEscape(hub))
		case segEvent:
			b.WriteString(placeholderEvent)
		}
	}
	if !p.hasEvent {
		b.WriteString("/" + placeholderEvent)
	}
	return b.String()
}
