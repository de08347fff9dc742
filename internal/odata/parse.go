package odata

import (
	"fmt"
	"strconv"
	"strings"
)

// Filter is a parsed, type-checked filter expression. The zero value is not usable; get
// one from [Parse]. A Filter is immutable and safe for concurrent use.
type Filter struct {
	src  string
	root *node
}

// Parse parses and type-checks a filter. Errors are [*SyntaxError] values matching
// [ErrInvalidFilter]; the empty filter is an error.
func Parse(s string) (*Filter, error) {
	if len(s) > MaxLength {
		return nil, newSyntaxError(s, MaxLength, fmt.Sprintf("filter longer than %d bytes", MaxLength))
	}
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected()
	}
	if p.semErr != nil {
		return nil, p.semErr
	}
	if root.typ != tBool {
		return nil, p.typeError(root.typ, tBool)
	}
	return &Filter{src: s, root: root}, nil
}

// parser is a recursive-descent parser with one token of look-ahead. Syntax errors stop
// parsing at once; semantic errors (unknown identifiers, type errors) are remembered and
// reported only if the whole input is syntactically valid, so the position of a syntax
// error is always the furthest point the parser reached.
type parser struct {
	lex     lexer
	tok     token
	depth   int
	clauses int
	semErr  *SyntaxError
	last    int // end of the previous token
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.last = p.tok.end
	p.tok = t
	return nil
}

func (p *parser) unexpected() *SyntaxError {
	return newSyntaxError(p.lex.src, p.tok.end, "unexpected "+p.tok.kind.String())
}

func (p *parser) isKeyword(kw string) bool { return p.tok.kind == tokIdent && p.tok.text == kw }

// typeError returns (and remembers, if it is the first) a type error.
func (p *parser) typeError(got, want vtype) *SyntaxError {
	e := &SyntaxError{Filter: p.lex.src, Type: true, Reason: fmt.Sprintf("Type '%s', expect '%s'", got, want)}
	if p.semErr == nil {
		p.semErr = e
	}
	return p.semErr
}

func (p *parser) semantic(e *SyntaxError) {
	if p.semErr == nil {
		p.semErr = e
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return newSyntaxError(p.lex.src, p.tok.end, fmt.Sprintf("nesting deeper than %d", MaxDepth))
	}
	return nil
}

func (p *parser) clause() error {
	p.clauses++
	if p.clauses > MaxClauses {
		return newSyntaxError(p.lex.src, p.tok.end, fmt.Sprintf("more than %d clauses", MaxClauses))
	}
	return nil
}

func (p *parser) wantBool(n *node) {
	if n.typ != tBool {
		p.typeError(n.typ, tBool)
	}
}

func (p *parser) parseOr() (*node, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		p.wantBool(left)
		p.wantBool(right)
		left = &node{op: opOr, typ: tBool, args: []*node{left, right}}
	}
	return left, nil
}

func (p *parser) parseAnd() (*node, error) {
	left, err := p.parseComparison()
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parseComparison()
		if err != nil {
			return nil, err
		}
		p.wantBool(left)
		p.wantBool(right)
		left = &node{op: opAnd, typ: tBool, args: []*node{left, right}}
	}
	return left, nil
}

func (p *parser) parseComparison() (*node, error) {
	left, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	switch {
	case p.tok.kind == tokIdent && cmpOps[p.tok.text]:
		op := p.tok.text
		if err := p.clause(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		p.checkComparable(op, left, right)
		return &node{op: opCmp, typ: tBool, cmp: op, args: []*node{left, right}}, nil
	case p.isKeyword("in"):
		if err := p.clause(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return p.parseIn(left)
	}
	return left, nil
}

// checkComparable type-checks the operands of a comparison.
func (p *parser) checkComparable(op string, l, r *node) {
	for _, n := range []*node{l, r} {
		if n.typ == tCollection {
			p.typeError(tCollection, tString)
			return
		}
	}
	if l.typ == tNull || r.typ == tNull {
		return // null compares with anything (eq/ne), ordering with null is false
	}
	if l.typ != r.typ {
		p.typeError(r.typ, l.typ)
		return
	}
	if op != "eq" && op != "ne" && l.typ == tBool {
		p.typeError(tBool, tInt)
	}
}

// parseIn parses the right-hand side of `in`: a parenthesised list, or a collection.
func (p *parser) parseIn(left *node) (*node, error) {
	if p.tok.kind != tokLParen {
		coll, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return p.inCollection(left, coll), nil
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	items := []*node{}
	for {
		item, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		items = append(items, item)
		if p.tok.kind == tokComma {
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		}
		if p.tok.kind != tokRParen {
			return nil, p.unexpected()
		}
		break
	}
	p.depth--
	if err := p.advance(); err != nil {
		return nil, err
	}
	if len(items) == 1 && items[0].typ == tCollection {
		return p.inCollection(left, items[0]), nil
	}
	for _, it := range items {
		p.checkComparable("eq", left, it)
	}
	return &node{op: opInList, typ: tBool, args: append([]*node{left}, items...)}, nil
}

func (p *parser) inCollection(left, coll *node) *node {
	if coll.typ != tCollection {
		p.typeError(coll.typ, tCollection)
	}
	if left.typ != tString && left.typ != tNull {
		p.typeError(left.typ, tString)
	}
	return &node{op: opInCollection, typ: tBool, args: []*node{left, coll}}
}

func (p *parser) parseUnary() (*node, error) {
	if !p.isKeyword("not") {
		return p.parsePrimary()
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	operand, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.depth--
	p.wantBool(operand)
	return &node{op: opNot, typ: tBool, args: []*node{operand}}, nil
}

func (p *parser) parsePrimary() (*node, error) {
	t := p.tok
	switch t.kind {
	case tokString:
		return p.literal(value{t: tString, s: t.text})
	case tokInt:
		i, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, newSyntaxError(p.lex.src, t.end, "integer out of range")
		}
		return p.literal(value{t: tInt, i: i})
	case tokLParen:
		if err := p.enter(); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, p.unexpected()
		}
		p.depth--
		return n, p.advance()
	case tokIdent:
		switch t.text {
		case "true", "false":
			return p.literal(value{t: tBool, b: t.text == "true"})
		case "null":
			return p.literal(value{t: tNull})
		}
		if reserved[t.text] {
			return nil, p.unexpected()
		}
		if p.followedByParen() {
			return p.parseCall()
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		for id, name := range identNames {
			if strings.EqualFold(t.text, name) {
				typ := tString
				if ident(id) == identGroups {
					typ = tCollection
				}
				return &node{op: opIdent, typ: typ, id: ident(id)}, nil
			}
		}
		p.semantic(newSyntaxError(p.lex.src, t.end, "unknown identifier "+t.text))
		return &node{op: opLit, typ: tNull, lit: value{t: tNull}}, nil
	}
	return nil, p.unexpected()
}

func (p *parser) literal(v value) (*node, error) {
	return &node{op: opLit, typ: v.t, lit: v}, p.advance()
}

// followedByParen reports whether the next non-space character after the current token is
// '(' (a function call).
func (p *parser) followedByParen() bool {
	s := p.lex.src
	i := p.tok.end
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i < len(s) && s[i] == '('
}

func (p *parser) parseCall() (*node, error) {
	name := p.tok
	sig, known := funcs[name.text]
	if !known {
		return nil, newSyntaxError(p.lex.src, name.end, "unknown function "+name.text)
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil { // name
		return nil, err
	}
	if err := p.advance(); err != nil { // (
		return nil, err
	}
	var args []*node
	for p.tok.kind != tokRParen {
		if len(args) > 0 {
			if p.tok.kind != tokComma {
				return nil, p.unexpected()
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		a, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if len(args) > len(sig.args) {
			return nil, newSyntaxError(p.lex.src, p.last, fmt.Sprintf("too many arguments to %s", name.text))
		}
	}
	if len(args) < sig.minArgs {
		return nil, newSyntaxError(p.lex.src, p.tok.end, fmt.Sprintf("too few arguments to %s", name.text))
	}
	p.depth--
	if sig.result == tBool {
		if err := p.clause(); err != nil {
			return nil, err
		}
	}
	if err := p.advance(); err != nil { // )
		return nil, err
	}
	for i, a := range args {
		want := sig.args[i]
		switch {
		case name.text == "length" && a.typ == tCollection:
		case a.typ == want, want == tString && a.typ == tNull:
		default:
			p.typeError(a.typ, want)
		}
	}
	return &node{op: opCall, typ: sig.result, fn: name.text, args: args}, nil
}
