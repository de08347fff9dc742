package odata

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Target is what a filter sees of one connection.
type Target struct {
	// ConnectionID is the connection's id.
	ConnectionID string
	// UserID is the connection's user id; "" stands for null (an anonymous connection).
	UserID string
	// Groups are the groups the connection is in (order irrelevant).
	Groups []string
}

// Match reports whether the connection t satisfies the filter. It never panics and does
// not retain t.
func (f *Filter) Match(t Target) bool { return f.root.eval(&t).b }

// Source returns the filter text as it was parsed.
func (f *Filter) Source() string { return f.src }

var null = value{t: tNull}

func boolValue(b bool) value { return value{t: tBool, b: b} }

func (n *node) eval(t *Target) value {
	switch n.op {
	case opLit:
		return n.lit
	case opIdent:
		switch n.id {
		case identConnectionID:
			return value{t: tString, s: t.ConnectionID}
		case identUserID:
			if t.UserID == "" {
				return null
			}
			return value{t: tString, s: t.UserID}
		}
		return value{t: tCollection}
	case opNot:
		return boolValue(!n.args[0].eval(t).b)
	case opAnd:
		return boolValue(n.args[0].eval(t).b && n.args[1].eval(t).b)
	case opOr:
		return boolValue(n.args[0].eval(t).b || n.args[1].eval(t).b)
	case opCmp:
		return boolValue(compare(n.cmp, n.args[0].eval(t), n.args[1].eval(t)))
	case opInList:
		l := n.args[0].eval(t)
		for _, it := range n.args[1:] {
			if compare("eq", l, it.eval(t)) {
				return boolValue(true)
			}
		}
		return boolValue(false)
	case opInCollection:
		l := n.args[0].eval(t)
		return boolValue(l.t == tString && slices.Contains(t.Groups, l.s))
	case opCall:
		return n.call(t)
	}
	return null
}

// compare applies a comparison operator; null equals only null and never orders.
func compare(op string, l, r value) bool {
	if l.t == tNull || r.t == tNull {
		eq := l.t == r.t
		switch op {
		case "eq":
			return eq
		case "ne":
			return !eq
		}
		return false
	}
	var c int
	switch l.t {
	case tString:
		c = strings.Compare(l.s, r.s)
	case tInt:
		switch {
		case l.i < r.i:
			c = -1
		case l.i > r.i:
			c = 1
		}
	case tBool:
		if l.b != r.b {
			c = 1
		}
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func (n *node) call(t *Target) value {
	args := make([]value, len(n.args))
	for i, a := range n.args {
		args[i] = a.eval(t)
	}
	if n.fn == "length" && args[0].t == tCollection {
		return value{t: tInt, i: int64(len(t.Groups))}
	}
	for _, a := range args {
		if a.t == tNull {
			if n.typ == tBool {
				return boolValue(false)
			}
			return null
		}
	}
	s := args[0].s
	switch n.fn {
	case "tolower":
		return value{t: tString, s: strings.ToLower(s)}
	case "toupper":
		return value{t: tString, s: strings.ToUpper(s)}
	case "trim":
		return value{t: tString, s: strings.TrimSpace(s)}
	case "concat":
		return value{t: tString, s: s + args[1].s}
	case "length":
		return value{t: tInt, i: int64(utf8.RuneCountInString(s))}
	case "indexof":
		i := strings.Index(s, args[1].s)
		if i > 0 {
			i = utf8.RuneCountInString(s[:i])
		}
		return value{t: tInt, i: int64(i)}
	case "substring":
		return value{t: tString, s: substring(s, args[1:])}
	case "startswith":
		return boolValue(strings.HasPrefix(s, args[1].s))
	case "endswith":
		return boolValue(strings.HasSuffix(s, args[1].s))
	case "contains":
		return boolValue(strings.Contains(s, args[1].s))
	}
	return null
}

// substring returns the code points of s from start (0-based) for length (or to the end),
// clamping out-of-range values instead of failing.
func substring(s string, args []value) string {
	r := []rune(s)
	start := clamp(args[0].i, int64(len(r)))
	end := int64(len(r))
	if len(args) > 1 {
		end = start + clamp(args[1].i, int64(len(r))-start)
	}
	return string(r[start:end])
}

func clamp(v, hi int64) int64 { return max(0, min(v, hi)) }
