package capture

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonParser is a strict RFC 8259 parser that builds statement trees (map[string]any,
// []any, json.Number, string, bool, nil) in one pass. It exists because statements are
// the hot path of every write: it is several times faster than token-by-token
// decoding with encoding/json, and it rejects duplicate object keys, which
// encoding/json silently merges. The property path for an error message is built only
// when there is an error.
type jsonParser struct {
	data []byte
	pos  int
	path []pathStep // the keys and indexes leading to the current value
}

// pathStep is one step of a jsonParser's path: an object key, or an array index when
// index >= 0. (A []any path would allocate for every key it boxes.)
type pathStep struct {
	key   string
	index int
}

// decodeJSONTree parses one JSON value from body, keeping numbers as json.Number. It
// fails on malformed JSON, invalid UTF-8, duplicate keys in an object, nesting deeper
// than maxJSONDepth and trailing data. The error message says where.
func decodeJSONTree(body []byte) (any, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("body is not valid UTF-8")
	}
	p := &jsonParser{data: body}
	p.space()
	if p.pos == len(p.data) {
		return nil, errors.New("body: unexpected end of JSON")
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.data) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// where renders the current path the way validation messages do: a.b[2].c.
func (p *jsonParser) where() string {
	var b strings.Builder
	for _, seg := range p.path {
		if seg.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg.key)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

func (p *jsonParser) fail(format string, args ...any) error {
	return fmt.Errorf("%s: malformed JSON: %s at byte %d", p.where(), fmt.Sprintf(format, args...), p.pos)
}

func (p *jsonParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (any, error) {
	if p.pos >= len(p.data) {
		return nil, fmt.Errorf("%s: unexpected end of JSON", p.where())
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	default:
		return nil, p.fail("unexpected character %q", c)
	}
}

func (p *jsonParser) literal(word string) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.fail("invalid literal")
	}
	p.pos += len(word)
	return nil
}

func (p *jsonParser) object() (any, error) {
	if len(p.path) >= maxJSONDepth {
		return nil, fmt.Errorf("%s: nested too deeply", p.where())
	}
	p.pos++ // {
	obj := map[string]any{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail("expected an object key")
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.path = append(p.path, pathStep{key: key, index: -1})
		if _, dup := obj[key]; dup {
			return nil, fmt.Errorf("%s: duplicate key", p.where())
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail("expected ':'")
		}
		p.pos++
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		obj[key] = v
		p.space()
		if p.pos >= len(p.data) {
			return nil, fmt.Errorf("%s: unexpected end of JSON", p.where())
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return obj, nil
		default:
			return nil, p.fail("expected ',' or '}'")
		}
	}
}

func (p *jsonParser) array() (any, error) {
	if len(p.path) >= maxJSONDepth {
		return nil, fmt.Errorf("%s: nested too deeply", p.where())
	}
	p.pos++ // [
	arr := []any{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return arr, nil
	}
	for i := 0; ; i++ {
		p.space()
		p.path = append(p.path, pathStep{index: i})
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		arr = append(arr, v)
		p.space()
		if p.pos >= len(p.data) {
			return nil, fmt.Errorf("%s: unexpected end of JSON", p.where())
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.fail("expected ',' or ']'")
		}
	}
}

// statementKeys are the property names of xAPI 1.0.3 statements (Data 2.4, 2.5) and
// common language tags: key returns these strings instead of allocating copies.
var statementKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version",
		"attachments", "objectType", "name", "mbox", "mbox_sha1sum", "openid", "account", "homePage", "member",
		"display", "definition", "description", "type", "moreInfo", "extensions", "interactionType",
		"correctResponsesPattern", "choices", "scale", "source", "target", "steps", "score", "scaled", "raw",
		"min", "max", "success", "completion", "response", "duration", "registration", "instructor", "team",
		"contextActivities", "parent", "grouping", "category", "other", "revision", "platform", "language",
		"statement", "usageType", "contentType", "length", "sha2", "fileUrl",
		"en", "en-US", "en-GB", "de", "de-DE", "fr", "fr-FR", "es", "es-ES", "und",
	} {
		m[k] = k
	}
	return m
}()

// key reads an object key at p.pos (on its opening quote), as str does.
func (p *jsonParser) key() (string, error) {
	if end := bytesIndexQuoteOrEscape(p.data[p.pos+1:]); end >= 0 && p.data[p.pos+1+end] == '"' {
		if k, ok := statementKeys[string(p.data[p.pos+1:p.pos+1+end])]; ok {
			p.pos += end + 2
			return k, nil
		}
	}
	return p.str()
}

// bytesIndexQuoteOrEscape returns the index of the first quote or backslash in b, or -1.
func bytesIndexQuoteOrEscape(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\\' {
			return i
		}
	}
	return -1
}

// str reads a string at p.pos (on its opening quote). Escapes follow RFC 8259; a lone
// UTF-16 surrogate becomes U+FFFD, as encoding/json does.
func (p *jsonParser) str() (string, error) {
	p.pos++ // "
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := string(p.data[start:p.pos])
			p.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.fail("control character in a string")
		}
		p.pos++
	}
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.data) {
			break
		}
		e := p.data[p.pos+1]
		p.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					var ok2 bool
					if r2, ok2 = p.hex4(); !ok2 {
						return "", p.fail("bad \\u escape")
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						continue
					}
					p.pos = save // not a pair: the second escape is read on its own
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.fail("bad escape \\%c", e)
		}
	}
	return "", fmt.Errorf("%s: unexpected end of JSON in a string", p.where())
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

// number reads -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? as a json.Number.
func (p *jsonParser) number() (any, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos < len(p.data) && p.data[p.pos] == '0' {
		p.pos++
	} else if digits() == 0 {
		return nil, p.fail("bad number")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	return json.Number(p.data[start:p.pos]), nil
}
