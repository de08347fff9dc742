package handler

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// CheckOrigin runs the abuse-protection check on an OPTIONS handshake and returns the
// origins to answer in WebHook-Allowed-Origin ("*" when any origin is allowed). The
// WebHook-Request-Origin header may carry several origins (separated by commas or
// spaces, or repeated); each is compared exactly with the allowed hosts and the matching
// ones are returned. It fails with [ErrMissingOrigin] or [ErrOriginNotAllowed].
func (h *Hub) CheckOrigin(r *http.Request) ([]string, error) {
	var origins []string
	for _, v := range r.Header.Values(wire.HeaderRequestOrigin) {
		origins = append(origins, strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' })...)
	}
	if len(origins) == 0 {
		return nil, ErrMissingOrigin
	}
	if h.anyOrigin {
		return []string{"*"}, nil
	}
	var ok []string
	for _, o := range origins {
		if h.originAllowed(o) {
			ok = append(ok, o)
		}
	}
	if len(ok) == 0 {
		return nil, fmt.Errorf("%w: %q is not among the allowed origins %q", ErrOriginNotAllowed, strings.Join(origins, ", "), h.origins)
	}
	return ok, nil
}

func (h *Hub) originAllowed(origin string) bool {
	o := normalizeHost(origin)
	if o == "" {
		return false
	}
	oh, op := splitHostPort(o)
	for _, a := range h.origins {
		if o == a {
			return true
		}
		ah, ap := splitHostPort(a)
		if oh == ah && (op == "" || ap == "") {
			return true
		}
	}
	return false
}

func splitHostPort(hp string) (host, port string) {
	if h, p, err := net.SplitHostPort(hp); err == nil {
		return h, p
	}
	return strings.Trim(hp, "[]"), ""
}

// serveOptions answers the abuse-protection handshake.
func (h *Hub) serveOptions(w http.ResponseWriter, r *http.Request) {
	allowed, err := h.CheckOrigin(r)
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webpubsub: abuse-protection handshake refused",
			slog.String("hub", h.name), slog.String("origin", r.Header.Get(wire.HeaderRequestOrigin)), slog.Any("error", err))
		writeText(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header()[http.CanonicalHeaderKey(wire.HeaderAllowedOrigin)] = allowed
	w.WriteHeader(http.StatusOK)
}
