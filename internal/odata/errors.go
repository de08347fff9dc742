package odata

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits on one filter. The service documents "roughly 100 clauses"; the length and depth
// limits are the emulator's own and keep parsing bounded.
const (
	// MaxLength is the longest filter accepted, in bytes.
	MaxLength = 8192
	// MaxDepth is the deepest nesting of parentheses, `not` and function calls accepted.
	MaxDepth = 64
	// MaxClauses is the largest number of comparisons, `in` tests and boolean function
	// calls accepted in one filter.
	MaxClauses = 100
)

// ErrInvalidFilter matches every error [Parse] returns (via errors.Is).
var ErrInvalidFilter = errors.New("odata: invalid filter")

// SyntaxError reports a filter that does not parse or does not type-check.
type SyntaxError struct {
	// Filter is the source text.
	Filter string
	// Pos is the position of the error: the number of characters (Unicode code points)
	// up to and including the offending token, so an error at the end of the input
	// reports the input's length, as the service does.
	Pos int
	// Reason is a short description of the problem (for logs and tests; not
	// contractual).
	Reason string
	// Type is true for type errors (a well-formed expression of the wrong type), whose
	// message names the types instead of a position.
	Type bool
}

func newSyntaxError(src string, byteOff int, reason string) *SyntaxError {
	if byteOff > len(src) {
		byteOff = len(src)
	}
	if byteOff < 0 {
		byteOff = 0
	}
	return &SyntaxError{Filter: src, Pos: utf8.RuneCountInString(src[:byteOff]), Reason: reason}
}

// Detail returns the service-style description without the "Invalid syntax" prefix, for
// example "Syntax error at position 14 in 'invalid filter'.".
func (e *SyntaxError) Detail() string {
	if e.Type {
		return e.Reason + "."
	}
	return fmt.Sprintf("Syntax error at position %d in '%s'.", e.Pos, e.Filter)
}

// Error returns the service's wording: "Invalid syntax for '<filter>': <detail>".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("Invalid syntax for '%s': %s", e.Filter, e.Detail())
}

// Is reports whether target is [ErrInvalidFilter].
func (e *SyntaxError) Is(target error) bool { return target == ErrInvalidFilter }
