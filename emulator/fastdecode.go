package emulator

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The fast path of decodeRequest: a reflection-free reader for the frames clients send most
// (sendToGroup, event, sequenceAck, joinGroup, leaveGroup, ping). It fills the same
// wireRequest as encoding/json would, or gives up (ok false) and leaves the frame to
// encoding/json, which then decides, errors included. It gives up on anything whose
// encoding/json result takes more than a byte copy to reproduce: escapes or invalid UTF-8 in
// a string field, a field name matching a known one only case-insensitively, a known field
// given twice, a string field holding another type, and any syntax error. The differential
// fuzz test FuzzFastDecode holds it to encoding/json.

// wireFields are the JSON names of wireRequest's fields.
var wireFields = [...]string{"type", "group", "event", "ackId", "noEcho", "dataType", "data", "sequenceId"}

// fastDecode decodes b into w when it can do so exactly as json.Unmarshal(b, w) would.
func fastDecode(b []byte, w *wireRequest) (ok bool) {
	p := jsonScanner{b: b}
	p.ws()
	if !p.eat('{') {
		return false
	}
	var seen uint8 // bit i: wireFields[i] was set
	p.ws()
	if p.eat('}') {
		return p.end()
	}
	for {
		p.ws()
		key, ok := p.plainString()
		if !ok {
			return false
		}
		p.ws()
		if !p.eat(':') {
			return false
		}
		p.ws()
		idx := fieldIndex(key)
		if idx == -2 {
			return false // a case-insensitive match: encoding/json's rules apply
		}
		if idx >= 0 {
			if seen&(1<<idx) != 0 {
				return false // duplicate: encoding/json merges
			}
			seen |= 1 << idx
		}
		switch idx {
		case 0, 1, 2, 5: // *string fields
			var dst **string
			switch idx {
			case 0:
				dst = &w.Type
			case 1:
				dst = &w.Group
			case 2:
				dst = &w.Event
			default:
				dst = &w.DataType
			}
			if p.literal("null") {
				break
			}
			s, ok := p.plainString()
			if !ok {
				return false
			}
			*dst = internString(s)
		default: // json.RawMessage fields and unknown fields
			start := p.i
			if !p.value(0) {
				return false
			}
			if idx >= 0 {
				raw := json.RawMessage(b[start:p.i:p.i])
				switch idx {
				case 3:
					w.AckID = raw
				case 4:
					w.NoEcho = raw
				case 6:
					w.Data = raw
				case 7:
					w.Seq = raw
				}
			}
		}
		p.ws()
		if p.eat('}') {
			return p.end()
		}
		if !p.eat(',') {
			return false
		}
	}
}

// fieldIndex returns the index of key in wireFields, -1 for a key encoding/json ignores, and
// -2 for a key that matches a field only case-insensitively.
func fieldIndex(key []byte) int {
	for i, f := range wireFields {
		if string(key) == f {
			return i
		}
	}
	for _, f := range wireFields {
		if len(key) == len(f) && strings.EqualFold(string(key), f) {
			return -2
		}
	}
	if !utf8.Valid(key) || bytes.ContainsAny(key, "\u017f\u212a") {
		// encoding/json's folding also maps ſ to s and K (Kelvin) to k; leave such keys to it.
		return -2
	}
	return -1
}

// jsonScanner reads JSON from b at i. Its methods report false on anything unexpected.
type jsonScanner struct {
	b []byte
	i int
}

// maxFastDepth bounds the nesting the fast path follows; deeper values go to encoding/json.
const maxFastDepth = 64

func (p *jsonScanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonScanner) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space follows.
func (p *jsonScanner) end() bool {
	p.ws()
	return p.i == len(p.b)
}

func (p *jsonScanner) literal(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// plainString reads a string without escapes, control characters or invalid UTF-8 and
// returns its contents (a sub-slice of b).
func (p *jsonScanner) plainString() ([]byte, bool) {
	if !p.eat('"') {
		return nil, false
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return nil, false
}

// value skips one JSON value, validating it as encoding/json's scanner does.
func (p *jsonScanner) value(depth int) bool {
	if p.i >= len(p.b) || depth > maxFastDepth {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		return p.anyString()
	case c == '{':
		p.i++
		p.ws()
		if p.eat('}') {
			return true
		}
		for {
			p.ws()
			if !p.anyString() {
				return false
			}
			p.ws()
			if !p.eat(':') {
				return false
			}
			p.ws()
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.eat('}') {
				return true
			}
			if !p.eat(',') {
				return false
			}
		}
	case c == '[':
		p.i++
		p.ws()
		if p.eat(']') {
			return true
		}
		for {
			p.ws()
			if !p.value(depth + 1) {
				return false
			}
			p.ws()
			if p.eat(']') {
				return true
			}
			if !p.eat(',') {
				return false
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	}
	return false
}

// anyString skips a string, escapes included (any bytes ≥ 0x20 are allowed, as by
// encoding/json's scanner).
func (p *jsonScanner) anyString() bool {
	if !p.eat('"') {
		return false
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.i >= len(p.b) {
				return false
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(p.b)-p.i < 4 {
					return false
				}
				for _, h := range p.b[p.i : p.i+4] {
					if !isHex(h) {
						return false
					}
				}
				p.i += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number skips a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonScanner) number() bool {
	p.eat('-')
	switch {
	case p.eat('0'):
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.eat('.') {
		if !p.digits() {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if !p.eat('+') {
			p.eat('-')
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits skips [0-9]* and reports whether there was at least one.
func (p *jsonScanner) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// interned are the values of type and dataType clients send; pointing at them saves an
// allocation per frame (wireRequest's strings are only read).
var interned = func() map[string]*string {
	m := make(map[string]*string)
	for _, v := range []string{reqJoinGroup, reqLeaveGroup, reqSendToGroup, reqEvent, reqSequenceAck, reqPing, dataJSON, dataText, dataBinary, "message"} {
		m[v] = &v
	}
	return m
}()

// internString returns a pointer to a string equal to s, shared for the common values.
func internString(s []byte) *string {
	if p, ok := interned[string(s)]; ok {
		return p
	}
	v := string(s)
	return &v
}
