package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const signaturePrefix = "sha256="

// SignatureValue returns "sha256=" + lowercase hex of HMAC-SHA256(key, connectionID). The
// key is the access key string exactly as in the connection string (its UTF-8 bytes, not
// base64-decoded).
func SignatureValue(key, connectionID string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(connectionID))
	var sum [sha256.Size]byte
	return signaturePrefix + hex.EncodeToString(m.Sum(sum[:0]))
}

// Sign returns the ce-signature header value for connectionID: one entry per key, joined
// with ",", as the service sends it.
func Sign(connectionID string, keys ...string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, SignatureValue(k, connectionID))
	}
	return strings.Join(parts, ",")
}

// ParseSignature splits a ce-signature header into its entries: split on ",", spaces
// trimmed, empty entries dropped. Entries are returned as sent; entries without the
// "sha256=" prefix are kept (they never verify).
func ParseSignature(header string) []string {
	var out []string
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// VerifySignature reports whether any entry of the ce-signature header equals the
// signature of connectionID under any of keys. Hex digits compare case-insensitively;
// each comparison is constant-time in the length of the expected value.
func VerifySignature(header, connectionID string, keys []string) bool {
	entries := ParseSignature(header)
	if len(entries) == 0 || len(keys) == 0 {
		return false
	}
	ok := false
	for _, k := range keys {
		want := []byte(SignatureValue(k, connectionID))
		for _, e := range entries {
			// Every pair is compared, so the time taken does not reveal which key matched.
			if hmac.Equal([]byte(strings.ToLower(e)), want) {
				ok = true
			}
		}
	}
	return ok
}
