package odata

import (
	"strconv"
	"strings"
)

// String returns a canonical form of the filter: keywords and identifiers in their
// documented spelling, every compound operand in parentheses. Parse(f.String()) yields a
// filter with the same String and the same matches.
func (f *Filter) String() string {
	var b strings.Builder
	f.root.print(&b)
	return b.String()
}

func (n *node) print(b *strings.Builder) {
	switch n.op {
	case opLit:
		switch n.lit.t {
		case tNull:
			b.WriteString("null")
		case tBool:
			b.WriteString(strconv.FormatBool(n.lit.b))
		case tInt:
			b.WriteString(strconv.FormatInt(n.lit.i, 10))
		case tString:
			b.WriteString(Quote(n.lit.s))
		}
	case opIdent:
		b.WriteString(identNames[n.id])
	case opNot:
		b.WriteString("not ")
		n.args[0].operand(b)
	case opAnd, opOr:
		n.args[0].operand(b)
		if n.op == opAnd {
			b.WriteString(" and ")
		} else {
			b.WriteString(" or ")
		}
		n.args[1].operand(b)
	case opCmp:
		n.args[0].operand(b)
		b.WriteString(" " + n.cmp + " ")
		n.args[1].operand(b)
	case opInList:
		n.args[0].operand(b)
		b.WriteString(" in (")
		for i, it := range n.args[1:] {
			if i > 0 {
				b.WriteString(", ")
			}
			it.print(b)
		}
		b.WriteString(")")
	case opInCollection:
		n.args[0].operand(b)
		b.WriteString(" in ")
		n.args[1].operand(b)
	case opCall:
		b.WriteString(n.fn + "(")
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.print(b)
		}
		b.WriteString(")")
	}
}

// operand prints n, in parentheses unless it is atomic.
func (n *node) operand(b *strings.Builder) {
	if n.atomic() {
		n.print(b)
		return
	}
	b.WriteString("(")
	n.print(b)
	b.WriteString(")")
}

// Quote returns s as an OData string literal: in single quotes, embedded quotes doubled.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
