// Package depcheck holds only a test: it enforces the import rules of DESIGN.md (handler
// never imports Echo, service never imports handler, internal imports only the standard
// library, nothing imports examples) with `go list -deps`.
package depcheck
