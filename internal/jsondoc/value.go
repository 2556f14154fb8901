package jsondoc

import (
	"encoding/json"
	"strconv"
)

// Kind is the JSON type of a Value.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Member is one key/value pair of an object, in document order.
type Member struct {
	Key   string
	Value *Value
}

// Value is one node of a parsed document. Values are immutable after Parse.
type Value struct {
	Kind    Kind
	Bool    bool     // when Kind == Bool
	Text    string   // the string, or the number's literal text
	Items   []*Value // when Kind == Array
	Members []Member // when Kind == Object, in document order
	Path    string   // JSON path from the root: "" for the root, "rules[3].if"
}

// Get returns the member named key of an object, or nil when v is not an
// object or has no such member.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for _, m := range v.Members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// Interface converts v to the values encoding/json produces with UseNumber:
// map[string]any, []any, string, json.Number, bool or nil.
func (v *Value) Interface() any {
	switch v.Kind {
	case Bool:
		return v.Bool
	case Number:
		return json.Number(v.Text)
	case String:
		return v.Text
	case Array:
		out := make([]any, len(v.Items))
		for i, it := range v.Items {
			out[i] = it.Interface()
		}
		return out
	case Object:
		out := make(map[string]any, len(v.Members))
		for _, m := range v.Members {
			out[m.Key] = m.Value.Interface()
		}
		return out
	}
	return nil
}

// Describe names the JSON path for messages: "(root)" for the root.
func (v *Value) Describe() string {
	if v.Path == "" {
		return "(root)"
	}
	return v.Path
}

func childKey(parent, key string) string {
	if isIdent(key) {
		if parent == "" {
			return key
		}
		return parent + "." + key
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

func childIndex(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-', c == '$', c == '@':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
