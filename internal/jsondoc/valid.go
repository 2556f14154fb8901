package jsondoc

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// This file reads documents that json.Valid has accepted (and that have
// passed Parse's UTF-8 and surrogate checks) in one pass, without the
// token-by-token decoder: the tool-call path parses every call's arguments,
// and encoding/json's Token allocates for each one. It refuses — and Parse
// takes the decoder's path, which says why — whatever Parse must refuse
// after syntax: duplicate keys and nesting deeper than MaxDepth.
// FuzzParseValid holds both paths to the same Value.

// parseValid builds the Value of a valid document.
func parseValid(data []byte) (*Value, bool) {
	p := validParser{data: data}
	p.space()
	v, ok := p.value("", 0)
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.data)
}

type validParser struct {
	data []byte
	i    int
}

func (p *validParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// dupScan is how many members an object may have before duplicate keys
// are found with a map instead of a scan of the earlier members.
const dupScan = 16

func (p *validParser) value(path string, depth int) (*Value, bool) {
	if depth > MaxDepth || p.i >= len(p.data) {
		return nil, false
	}
	v := &Value{Path: path}
	switch c := p.data[p.i]; c {
	case '{':
		v.Kind = Object
		p.i++
		p.space()
		if p.data[p.i] == '}' {
			p.i++
			return v, true
		}
		var seen map[string]struct{}
		for {
			p.space()
			key := p.str()
			if len(v.Members) == dupScan {
				seen = make(map[string]struct{}, 2*dupScan)
				for _, m := range v.Members {
					seen[m.Key] = struct{}{}
				}
			}
			if seen != nil {
				if _, dup := seen[key]; dup {
					return nil, false
				}
				seen[key] = struct{}{}
			} else {
				for _, m := range v.Members {
					if m.Key == key {
						return nil, false
					}
				}
			}
			p.space()
			p.i++ // ':'
			p.space()
			mv, ok := p.value(childKey(path, key), depth+1)
			if !ok {
				return nil, false
			}
			v.Members = append(v.Members, Member{Key: key, Value: mv})
			p.space()
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			p.i++ // '}'
			return v, true
		}
	case '[':
		v.Kind = Array
		p.i++
		p.space()
		if p.data[p.i] == ']' {
			p.i++
			return v, true
		}
		for {
			p.space()
			it, ok := p.value(childIndex(path, len(v.Items)), depth+1)
			if !ok {
				return nil, false
			}
			v.Items = append(v.Items, it)
			p.space()
			if p.data[p.i] == ',' {
				p.i++
				continue
			}
			p.i++ // ']'
			return v, true
		}
	case '"':
		v.Kind, v.Text = String, p.str()
	case 't':
		v.Kind, v.Bool = Bool, true
		p.i += len("true")
	case 'f':
		v.Kind = Bool
		p.i += len("false")
	case 'n':
		v.Kind = Null
		p.i += len("null")
	default:
		start := p.i
	number:
		for p.i < len(p.data) {
			switch p.data[p.i] {
			case '-', '+', '.', 'e', 'E', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				p.i++
			default:
				break number
			}
		}
		v.Kind, v.Text = Number, string(p.data[start:p.i])
	}
	return v, true
}

// str reads the string at p.i, whose opening quote it is, and unescapes it
// as encoding/json does (the input is valid and has no lone surrogates).
func (p *validParser) str() string {
	p.i++ // '"'
	start := p.i
	for p.data[p.i] != '"' && p.data[p.i] != '\\' {
		p.i++
	}
	if p.data[p.i] == '"' {
		s := string(p.data[start:p.i])
		p.i++
		return s
	}
	out := append(make([]byte, 0, p.i-start+16), p.data[start:p.i]...)
	for {
		switch c := p.data[p.i]; c {
		case '"':
			p.i++
			return string(out)
		case '\\':
			e := p.data[p.i+1]
			p.i += 2
			switch e {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, _ := hex4(p.data, p.i)
				p.i += 4
				if utf16.IsSurrogate(rune(r)) {
					// A pair: Parse refused lone surrogates already.
					lo, _ := hex4(p.data, p.i+2)
					p.i += 6
					out = utf8.AppendRune(out, utf16.DecodeRune(rune(r), rune(lo)))
				} else {
					out = utf8.AppendRune(out, rune(r))
				}
			default: // '"', '\\', '/'
				out = append(out, e)
			}
		default:
			out = append(out, c)
			p.i++
		}
	}
}

// RawMember is one member of an object: its key, unescaped, and its value
// as it stands in the document.
type RawMember struct {
	Key   string
	Value []byte
}

// ObjectMembers splits a JSON object into its members, in document order,
// without decoding their values (duplicate keys are kept: the caller
// decides). It reports false when data is not exactly one valid JSON
// object, or holds what Parse refuses before syntax (invalid UTF-8, \u
// escapes of unpaired surrogates), whose keys encoding/json would change.
func ObjectMembers(data []byte) ([]RawMember, bool) {
	if !utf8.Valid(data) || !json.Valid(data) {
		return nil, false
	}
	if _, lone := loneSurrogate(data); lone {
		return nil, false
	}
	p := validParser{data: data}
	p.space()
	if p.data[p.i] != '{' {
		return nil, false
	}
	p.i++
	p.space()
	var out []RawMember
	if p.data[p.i] == '}' {
		return out, true
	}
	for {
		p.space()
		key := p.str()
		p.space()
		p.i++ // ':'
		p.space()
		start := p.i
		p.skip()
		out = append(out, RawMember{Key: key, Value: p.data[start:p.i]})
		p.space()
		if p.data[p.i] == ',' {
			p.i++
			continue
		}
		return out, true
	}
}

// skip moves past the value at p.i.
func (p *validParser) skip() {
	depth := 0
	for {
		switch p.data[p.i] {
		case '"':
			p.skipString()
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				p.i++
				return
			}
		case ',', ':', ' ', '\t', '\n', '\r':
		default:
			if depth == 0 { // a number, true, false or null
				for p.i < len(p.data) {
					switch p.data[p.i] {
					case ',', '}', ']', ' ', '\t', '\n', '\r':
						return
					}
					p.i++
				}
				return
			}
		}
		p.i++
	}
}

// skipString moves past the string whose opening quote is at p.i.
func (p *validParser) skipString() {
	p.i++
	for {
		switch p.data[p.i] {
		case '"':
			p.i++
			return
		case '\\':
			p.i += 2
		default:
			p.i++
		}
	}
}
