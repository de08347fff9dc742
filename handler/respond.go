package handler

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/webpubsub-go/webpubsub/internal/wire"
)

// Canonical header keys, computed once so the hot path does not canonicalise.
var (
	hdrContentType   = http.CanonicalHeaderKey("Content-Type")
	hdrContentLength = http.CanonicalHeaderKey("Content-Length")
	hdrState         = http.CanonicalHeaderKey(wire.HeaderConnectionState)
	hdrConnectionID  = http.CanonicalHeaderKey(wire.HeaderConnectionID)
	hdrSignature     = http.CanonicalHeaderKey(wire.HeaderSignature)
	hdrHub           = http.CanonicalHeaderKey(wire.HeaderHub)
	hdrEventName     = http.CanonicalHeaderKey(wire.HeaderEventName)
	hdrUserID        = http.CanonicalHeaderKey(wire.HeaderUserID)
	hdrSubprotocol   = http.CanonicalHeaderKey(wire.HeaderSubprotocol)
	hdrOrigin        = http.CanonicalHeaderKey(wire.HeaderRequestOrigin)
	hdrPhysicalConn  = http.CanonicalHeaderKey(wire.HeaderPhysicalConnectionID)
	hdrSessionID     = http.CanonicalHeaderKey(wire.HeaderSessionID)
	hdrMQTTPrefix    = http.CanonicalHeaderKey(wire.HeaderMQTTPrefix + "x")[:len(wire.HeaderMQTTPrefix)]
)

// header returns the first value of the canonical key k.
func header(h http.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Shared header values; net/http only reads them.
var (
	valTextUTF8 = []string{wire.ContentTypeTextUTF8}
	valJSONUTF8 = []string{wire.ContentTypeJSONUTF8}
	valBinary   = []string{wire.ContentTypeBinary}
)

func contentTypeValue(ct string) []string {
	switch ct {
	case wire.ContentTypeTextUTF8:
		return valTextUTF8
	case wire.ContentTypeJSONUTF8:
		return valJSONUTF8
	case wire.ContentTypeBinary:
		return valBinary
	}
	return []string{ct}
}

// explicitLengthOver is the reply size from which the hub writes Content-Length itself.
// Up to it net/http writes the same header on its own (a reply that fits its 2 KiB
// response buffer when the handler returns gets its exact Content-Length; TestReplyLength
// checks both sides over loopback), and the hub saves a header map entry, which net/http
// would also copy. Larger replies carry it explicitly, so they are never sent chunked.
const explicitLengthOver = 1024

func setContentLength(hd http.Header, n int) {
	if n > explicitLengthOver {
		hd[hdrContentLength] = []string{strconv.Itoa(n)}
	}
}

func writeText(w http.ResponseWriter, status int, body string) {
	hd := w.Header()
	hd[hdrContentType] = valTextUTF8
	setContentLength(hd, len(body))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	hd := w.Header()
	if contentType != "" {
		hd[hdrContentType] = contentTypeValue(contentType)
	}
	if status != http.StatusNoContent {
		setContentLength(hd, len(body))
	}
	w.WriteHeader(status)
	if len(body) > 0 {
		_, _ = w.Write(body)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeBody(w, status, wire.ContentTypeJSONUTF8, b)
	return nil
}

// writeState sets ce-connectionState when a blocking func changed the state.
func (h *Hub) writeState(w http.ResponseWriter, s *State) error {
	if !s.Changed() {
		return nil
	}
	v, err := s.Encode()
	if err != nil {
		return err
	}
	if h.maxState > 0 && len(v) > h.maxState {
		return ErrStateTooLarge
	}
	w.Header()[hdrState] = []string{v}
	return nil
}
