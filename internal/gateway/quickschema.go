package gateway

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// quickSchema recognizes arguments that surely satisfy a tool's input
// schema, without the general validator (which walks converted Go values
// by reflection and costs more than the policy decision). It only ever
// says "surely valid": anything it is not sure of — a keyword it does not
// know, a missing required member, a wrong type, a number it cannot read —
// goes to the general validator, which decides and words the refusal.
// FuzzQuickSchema holds it to that: whatever it accepts, the validator
// accepts.
type quickSchema struct {
	anything bool // the schema true, or one with no validation keywords
	types    []string
	enum     map[string]bool // string enums only
	badEnum  bool            // an enum with other values: never sure
	props    map[string]*quickSchema
	required []string
	extra    *quickSchema // additionalProperties; nil with noExtra unset: any
	noExtra  bool         // additionalProperties false: never sure of an extra
	items    *quickSchema
}

// annotations are keywords that do not constrain a value.
var annotations = map[string]bool{"description": true, "title": true, "default": true, "examples": true,
	"$comment": true, "readOnly": true, "writeOnly": true, "deprecated": true, "propertyOrder": true}

// compileQuick builds the quick check of a schema (decoded JSON), or
// reports that the schema uses something it does not handle.
func compileQuick(v any, root bool) (*quickSchema, bool) {
	switch t := v.(type) {
	case bool:
		if t {
			return &quickSchema{anything: true}, true
		}
		return nil, false
	case map[string]any:
		q := &quickSchema{}
		known := 0
		for k, kv := range t {
			var ok bool
			switch {
			case annotations[k], root && k == "$schema":
				ok = true
				known--
			case k == "type":
				ok = q.compileTypes(kv)
			case k == "enum":
				ok = q.compileEnum(kv)
			case k == "required":
				q.required, ok = stringList(kv)
			case k == "properties":
				props, isMap := kv.(map[string]any)
				ok = isMap
				q.props = make(map[string]*quickSchema, len(props))
				for name, ps := range props {
					if q.props[name], ok = compileQuick(ps, false); !ok {
						break
					}
				}
			case k == "additionalProperties":
				if b, isBool := kv.(bool); isBool && !b {
					q.noExtra, ok = true, true
				} else {
					q.extra, ok = compileQuick(kv, false)
				}
			case k == "items":
				q.items, ok = compileQuick(kv, false)
			}
			if !ok {
				return nil, false
			}
			known++
		}
		q.anything = known == 0
		return q, true
	}
	return nil, false
}

func (q *quickSchema) compileTypes(v any) bool {
	switch t := v.(type) {
	case string:
		q.types = []string{t}
	case []any:
		var ok bool
		if q.types, ok = stringList(t); !ok {
			return false
		}
	default:
		return false
	}
	for _, name := range q.types {
		switch name {
		case "string", "boolean", "null", "object", "array", "number", "integer":
		default:
			return false
		}
	}
	return true
}

func (q *quickSchema) compileEnum(v any) bool {
	values, ok := v.([]any)
	if !ok {
		return false
	}
	q.enum = make(map[string]bool, len(values))
	for _, e := range values {
		s, ok := e.(string)
		if !ok {
			q.badEnum = true
			continue
		}
		q.enum[s] = true
	}
	return true
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// sure reports whether v certainly satisfies the schema.
func (q *quickSchema) sure(v *jsondoc.Value) bool {
	if q.anything {
		return true
	}
	if q.badEnum || (q.enum != nil && (v.Kind != jsondoc.String || !q.enum[v.Text])) {
		return false
	}
	if q.types != nil && !q.typeMatches(v) {
		return false
	}
	switch v.Kind {
	case jsondoc.Object:
		for _, name := range q.required {
			if v.Get(name) == nil {
				return false
			}
		}
		for _, m := range v.Members {
			ps, declared := q.props[m.Key]
			switch {
			case declared:
				if !ps.sure(m.Value) {
					return false
				}
			case q.noExtra:
				return false
			case q.extra != nil:
				if !q.extra.sure(m.Value) {
					return false
				}
			}
		}
	case jsondoc.Array:
		if q.items != nil {
			for _, it := range v.Items {
				if !q.items.sure(it) {
					return false
				}
			}
		}
	}
	return true
}

func (q *quickSchema) typeMatches(v *jsondoc.Value) bool {
	for _, t := range q.types {
		switch {
		case t == "string" && v.Kind == jsondoc.String,
			t == "boolean" && v.Kind == jsondoc.Bool,
			t == "null" && v.Kind == jsondoc.Null,
			t == "object" && v.Kind == jsondoc.Object,
			t == "array" && v.Kind == jsondoc.Array,
			t == "number" && v.Kind == jsondoc.Number && finite(v.Text),
			t == "integer" && v.Kind == jsondoc.Number && finite(v.Text) && !strings.ContainsAny(v.Text, ".eE"):
			return true
		}
	}
	return false
}

// finite: the validator sees numbers as float64; one that does not fit is
// not something to be sure of.
func finite(literal string) bool {
	_, err := strconv.ParseFloat(literal, 64)
	return err == nil
}

// quickFrom compiles the quick check of a schema's JSON, or returns nil.
func quickFrom(data []byte) *quickSchema {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	q, ok := compileQuick(v, true)
	if !ok {
		return nil
	}
	return q
}
