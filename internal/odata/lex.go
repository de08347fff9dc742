package odata

import (
	"strings"
	"unicode/utf8"
)

// tokenKind classifies a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokInt
	tokLParen
	tokRParen
	tokComma
)

func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of input"
	case tokIdent:
		return "identifier"
	case tokString:
		return "string literal"
	case tokInt:
		return "integer literal"
	case tokLParen:
		return "'('"
	case tokRParen:
		return "')'"
	case tokComma:
		return "','"
	}
	return "token"
}

// token is one lexical token. start and end are byte offsets into the source; text is the
// raw identifier or integer text, or the unescaped value of a string literal.
type token struct {
	kind       tokenKind
	text       string
	start, end int
}

// lexer splits a filter into tokens on demand.
type lexer struct {
	src string
	pos int
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// next returns the next token or a syntax error for characters that start no token.
func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tokEOF, start: start, end: start}, nil
	}
	c := l.src[start]
	switch {
	case c == '(':
		l.pos++
		return token{kind: tokLParen, text: "(", start: start, end: l.pos}, nil
	case c == ')':
		l.pos++
		return token{kind: tokRParen, text: ")", start: start, end: l.pos}, nil
	case c == ',':
		l.pos++
		return token{kind: tokComma, text: ",", start: start, end: l.pos}, nil
	case c == '\'':
		return l.stringLiteral()
	case isDigit(c) || ((c == '+' || c == '-') && start+1 < len(l.src) && isDigit(l.src[start+1])):
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		if l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
			return token{}, l.errorAt(l.pos+1, "unexpected character after number")
		}
		return token{kind: tokInt, text: l.src[start:l.pos], start: start, end: l.pos}, nil
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentPart(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tokIdent, text: l.src[start:l.pos], start: start, end: l.pos}, nil
	}
	_, size := utf8.DecodeRuneInString(l.src[start:])
	return token{}, l.errorAt(start+size, "unexpected character")
}

// stringLiteral scans a quoted string starting at l.pos; two quotes stand for one.
func (l *lexer) stringLiteral() (token, error) {
	start := l.pos
	var b strings.Builder
	i := start + 1
	for {
		j := strings.IndexByte(l.src[i:], '\'')
		if j < 0 {
			l.pos = len(l.src)
			return token{}, l.errorAt(len(l.src), "unterminated string literal")
		}
		b.WriteString(l.src[i : i+j])
		i += j + 1
		if i < len(l.src) && l.src[i] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		break
	}
	l.pos = i
	return token{kind: tokString, text: b.String(), start: start, end: i}, nil
}

func (l *lexer) errorAt(byteOff int, reason string) *SyntaxError {
	return newSyntaxError(l.src, byteOff, reason)
}
