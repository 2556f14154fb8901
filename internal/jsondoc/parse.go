package jsondoc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxDepth bounds nesting so a hostile document cannot exhaust the stack.
const MaxDepth = 128

// Parse decodes exactly one JSON value from data. maxBytes bounds the
// document size (0 means no bound). Errors carry a line and column.
func Parse(data []byte, maxBytes int) (*Value, error) {
	if maxBytes > 0 && len(data) > maxBytes {
		return nil, fmt.Errorf("document is %d bytes, larger than the limit of %d", len(data), maxBytes)
	}
	if !utf8.Valid(data) {
		off := invalidUTF8Offset(data)
		line, col := position(data, off)
		return nil, fmt.Errorf("line %d column %d: invalid UTF-8", line, col)
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, errors.New("line 1 column 1: starts with a UTF-8 byte order mark")
	}
	if off, ok := loneSurrogate(data); ok {
		line, col := position(data, off)
		return nil, fmt.Errorf("line %d column %d: \\u escape of an unpaired UTF-16 surrogate", line, col)
	}
	if json.Valid(data) {
		if v, ok := parseValid(data); ok {
			return v, nil
		}
	}
	return parseTokens(data)
}

// parseTokens is Parse's careful path: token by token, so that whatever is
// wrong is reported with its line and column.
func parseTokens(data []byte) (*Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := parser{dec: dec, data: data}
	v, err := p.value("", 0)
	if err != nil {
		return nil, p.locate(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the JSON value")
		}
		return nil, p.locate(err)
	}
	return v, nil
}

type parser struct {
	dec  *json.Decoder
	data []byte
}

func (p *parser) value(path string, depth int) (*Value, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nesting deeper than %d levels", MaxDepth)
	}
	tok, err := p.dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of JSON input")
		}
		return nil, err
	}
	v := &Value{Path: path}
	switch t := tok.(type) {
	case nil:
		v.Kind = Null
	case bool:
		v.Kind, v.Bool = Bool, t
	case json.Number:
		v.Kind, v.Text = Number, string(t)
	case string:
		v.Kind, v.Text = String, t
	case json.Delim:
		switch t {
		case '[':
			v.Kind = Array
			for p.dec.More() {
				it, err := p.value(childIndex(path, len(v.Items)), depth+1)
				if err != nil {
					return nil, err
				}
				v.Items = append(v.Items, it)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
		case '{':
			v.Kind = Object
			seen := make(map[string]struct{})
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key must be a string")
				}
				if _, dup := seen[key]; dup {
					return nil, fmt.Errorf("%s: duplicate key %q", (&Value{Path: path}).Describe(), key)
				}
				seen[key] = struct{}{}
				mv, err := p.value(childKey(path, key), depth+1)
				if err != nil {
					return nil, err
				}
				v.Members = append(v.Members, Member{Key: key, Value: mv})
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unexpected %q", rune(t))
		}
	}
	return v, nil
}

// locate prefixes an error with the line and column where decoding stopped.
func (p *parser) locate(err error) error {
	off := p.dec.InputOffset()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of JSON input")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	line, col := position(p.data, off)
	return fmt.Errorf("line %d column %d: %w", line, col, err)
}

func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func invalidUTF8Offset(data []byte) int64 {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return int64(i)
		}
		i += n
	}
	return int64(len(data))
}

// loneSurrogate finds a \u escape of a UTF-16 surrogate that is not part of
// a pair. encoding/json quietly turns one into U+FFFD, so "\ud800" and
// "\ufffd" would reach the policy as the same string while a server
// decoding the original could see something else.
func loneSurrogate(data []byte) (int64, bool) {
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(data) && data[i+1] == 'u' {
				hi, ok := hex4(data, i+2)
				if ok && hi >= 0xd800 && hi <= 0xdfff {
					if hi >= 0xdc00 {
						return int64(i), true // low surrogate first
					}
					lo, ok := -1, false
					if i+7 < len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
						lo, ok = hex4(data, i+8)
					}
					if !ok || lo < 0xdc00 || lo > 0xdfff {
						return int64(i), true
					}
					i += 11
					continue
				}
				i += 5
				continue
			}
			i++ // skip the escaped character
		}
	}
	return 0, false
}

func hex4(data []byte, at int) (int, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	v := 0
	for _, c := range data[at : at+4] {
		var d int
		switch {
		case c >= '0' && c <= '9':
			d = int(c - '0')
		case c >= 'a' && c <= 'f':
			d = int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = int(c-'A') + 10
		default:
			return 0, false
		}
		v = v<<4 | d
	}
	return v, true
}
