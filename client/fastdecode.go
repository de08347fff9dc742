package client

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// fastDecode decodes the common frames without reflection. It reports ok=false whenever the
// input strays from the simple shapes it handles (escaped strings, unknown keys that differ
// from ours only in case, numbers that are not plain digits, invalid JSON…); the caller then
// uses encoding/json, so the result always equals encoding/json's. FuzzFastDecode checks that.
func fastDecode(p []byte) (d *downstream, ok bool) {
	s := scanner{p: p}
	s.ws()
	if !s.eat('{') {
		return nil, false
	}
	d = &downstream{}
	s.ws()
	if s.eat('}') {
		return d, s.end()
	}
	for {
		s.ws()
		key, ok := s.str()
		if !ok {
			return nil, false
		}
		s.ws()
		if !s.eat(':') {
			return nil, false
		}
		s.ws()
		if !s.field(d, key) {
			return nil, false
		}
		s.ws()
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			return d, s.end()
		}
		return nil, false
	}
}

type scanner struct {
	p []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.p) {
		switch s.p[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.p) && s.p[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.p)
}

func (s *scanner) lit(l string) bool {
	if strings.HasPrefix(string(s.p[s.i:min(len(s.p), s.i+len(l))]), l) {
		s.i += len(l)
		return true
	}
	return false
}

// str reads a string without escapes, valid UTF-8.
func (s *scanner) str() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.p) {
		c := s.p[s.i]
		switch {
		case c == '"':
			v := s.p[start:s.i]
			s.i++
			if !utf8.Valid(v) {
				return "", false
			}
			return string(v), true
		case c == '\\' || c < 0x20:
			return "", false
		}
		s.i++
	}
	return "", false
}

// optStr reads a string or null (which leaves the field unchanged).
func (s *scanner) optStr(dst *string) bool {
	if s.lit("null") {
		return true
	}
	v, ok := s.str()
	*dst = v
	return ok
}

// uint reads a non-negative integer of plain digits or null.
func (s *scanner) uint(dst *uint64) bool {
	if s.lit("null") {
		return true
	}
	start := s.i
	var v uint64
	for s.i < len(s.p) && s.p[s.i] >= '0' && s.p[s.i] <= '9' {
		d := uint64(s.p[s.i] - '0')
		if v > (1<<64-1-d)/10 {
			return false
		}
		v = v*10 + d
		s.i++
	}
	n := s.i - start
	if n == 0 || (n > 1 && s.p[start] == '0') {
		return false
	}
	if s.i < len(s.p) && (s.p[s.i] == '.' || s.p[s.i] == 'e' || s.p[s.i] == 'E') {
		return false
	}
	*dst = v
	return true
}

// raw reads any JSON value and returns its bytes; composite values are validated.
func (s *scanner) raw() ([]byte, bool) {
	start := s.i
	if s.i >= len(s.p) {
		return nil, false
	}
	switch c := s.p[s.i]; {
	case c == '"':
		if _, ok := s.str(); !ok {
			return nil, false
		}
	case c == '{' || c == '[':
		depth := 0
		for s.i < len(s.p) {
			switch s.p[s.i] {
			case '"':
				s.i++
				for s.i < len(s.p) && s.p[s.i] != '"' {
					if s.p[s.i] == '\\' {
						s.i++
					}
					s.i++
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				break
			}
		}
		if depth != 0 || s.i > len(s.p) || !json.Valid(s.p[start:s.i]) {
			return nil, false
		}
	case c == 't':
		if !s.lit("true") {
			return nil, false
		}
	case c == 'f':
		if !s.lit("false") {
			return nil, false
		}
	case c == 'n':
		if !s.lit("null") {
			return nil, false
		}
	default:
		for s.i < len(s.p) && strings.IndexByte("+-.0123456789eE", s.p[s.i]) >= 0 {
			s.i++
		}
		if !json.Valid(s.p[start:s.i]) {
			return nil, false
		}
	}
	return s.p[start:s.i], true
}

var downstreamKeys = []string{"type", "ackId", "success", "error", "from", "group", "fromUserId", "dataType",
	"data", "sequenceId", "event", "connectionId", "userId", "reconnectionToken", "message"}

// field decodes the value of key into d.
func (s *scanner) field(d *downstream, key string) bool {
	switch key {
	case "type":
		return s.optStr(&d.Type)
	case "ackId":
		return s.uint(&d.AckID)
	case "sequenceId":
		return s.uint(&d.SequenceID)
	case "success":
		switch {
		case s.lit("true"):
			d.Success = true
		case s.lit("false"):
			d.Success = false
		case s.lit("null"):
		default:
			return false
		}
		return true
	case "from":
		return s.optStr(&d.From)
	case "group":
		return s.optStr(&d.Group)
	case "fromUserId":
		return s.optStr(&d.FromUserID)
	case "dataType":
		var v string
		ok := s.optStr(&v)
		if v != "" {
			d.DataType = DataType(v)
		}
		return ok
	case "data":
		v, ok := s.raw()
		if ok {
			d.Data = append(json.RawMessage(nil), v...)
		}
		return ok
	case "event":
		return s.optStr(&d.Event)
	case "connectionId":
		return s.optStr(&d.ConnectionID)
	case "userId":
		return s.optStr(&d.UserID)
	case "reconnectionToken":
		return s.optStr(&d.ReconnectionToken)
	case "message":
		return s.optStr(&d.Message)
	case "error":
		if s.lit("null") {
			d.Error = nil
			return true
		}
		return s.ackDetail(d)
	}
	for _, k := range downstreamKeys {
		if strings.EqualFold(k, key) {
			return false // encoding/json matches keys case-insensitively
		}
	}
	_, ok := s.raw()
	return ok
}

// ackDetail decodes the error object of an ack.
func (s *scanner) ackDetail(d *downstream) bool {
	if !s.eat('{') {
		return false
	}
	if d.Error == nil {
		d.Error = &ackDetail{}
	}
	s.ws()
	if s.eat('}') {
		return true
	}
	for {
		s.ws()
		key, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if !s.eat(':') {
			return false
		}
		s.ws()
		switch {
		case key == "name":
			ok = s.optStr(&d.Error.Name)
		case key == "message":
			ok = s.optStr(&d.Error.Message)
		case strings.EqualFold(key, "name") || strings.EqualFold(key, "message"):
			return false
		default:
			_, ok = s.raw()
		}
		if !ok {
			return false
		}
		s.ws()
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}
