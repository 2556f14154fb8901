package jsworker

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// Tool schemas come from MCP servers, which may be hostile or just large:
// the rendering is bounded in depth, in the members it lists and in length,
// and falls back to a shallower picture rather than failing.
const (
	maxSchemaDepth  = 6
	maxSignature    = 2000 // bytes of the argument type
	maxUnionMembers = 16
	maxEnumValues   = 32
	maxProperties   = 64
)

// Signature renders a tool as a TypeScript declaration of the function the
// VM exposes, for example
//
//	filesystem.read_file(args: { path: string; head?: number; tail?: number }): Promise<string>
//
// The argument type comes from the tool's JSON Schema: required properties
// first, then optional ones, each group alphabetical. The argument is
// optional when no property is required. A tool named "<server>_x" is
// shown under its short name x. Malformed or exotic schemas degrade to
// unknown; Signature never fails.
func Signature(spec runnerproto.ToolSpec) string {
	name := spec.Name
	if alias, ok := shortName(spec.Server, spec.Name); ok {
		name = alias
	}
	return signature(spec, name)
}

func signature(spec runnerproto.ToolSpec, name string) string {
	typ, optional := argType(spec.InputSchema)
	q := ""
	if optional {
		q = "?"
	}
	return accessor(spec.Server, name) + "(args" + q + ": " + typ + "): Promise<string>"
}

// argType renders the input schema and reports whether the argument may be
// left out (nothing in it is required).
func argType(raw json.RawMessage) (string, bool) {
	var schema any
	if len(raw) == 0 || json.Unmarshal(raw, &schema) != nil {
		return "{ [key: string]: unknown }", true
	}
	optional := true
	if m, ok := schema.(map[string]any); ok {
		if req, ok := m["required"].([]any); ok && len(req) > 0 {
			optional = false
		}
	}
	for _, depth := range []int{maxSchemaDepth, 2, 1} {
		if s := tsType(schema, depth); len(s) <= maxSignature {
			return s, optional
		}
	}
	return "object", optional
}

// tsType renders one schema node as a TypeScript type.
func tsType(schema any, depth int) string {
	if depth <= 0 {
		return "unknown"
	}
	m, ok := schema.(map[string]any)
	if !ok {
		if b, ok := schema.(bool); ok && !b {
			return "never"
		}
		return "unknown"
	}
	if c, ok := m["const"]; ok {
		return literal(c)
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		if len(e) > maxEnumValues {
			e = e[:maxEnumValues]
		}
		parts := make([]string, 0, len(e))
		for _, v := range e {
			parts = append(parts, literal(v))
		}
		return union(parts)
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts, ok := m[k].([]any); ok && len(alts) > 0 {
			return union(mapTypes(alts, depth))
		}
	}
	if all, ok := m["allOf"].([]any); ok && len(all) > 0 {
		parts := mapTypes(all, depth)
		for i, p := range parts {
			parts[i] = paren(p)
		}
		return strings.Join(dedupe(parts), " & ")
	}
	var types []string
	switch t := m["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok {
				types = append(types, s)
			}
		}
	}
	if len(types) == 0 {
		switch {
		case m["properties"] != nil || m["additionalProperties"] != nil:
			types = []string{"object"}
		case m["items"] != nil || m["prefixItems"] != nil:
			types = []string{"array"}
		default:
			return "unknown"
		}
	}
	parts := make([]string, 0, len(types))
	for _, t := range types {
		switch t {
		case "string", "boolean", "null":
			parts = append(parts, t)
		case "number", "integer":
			parts = append(parts, "number")
		case "array":
			parts = append(parts, arrayType(m, depth))
		case "object":
			parts = append(parts, objectType(m, depth))
		default:
			parts = append(parts, "unknown")
		}
	}
	return union(parts)
}

func mapTypes(schemas []any, depth int) []string {
	if len(schemas) > maxUnionMembers {
		schemas = schemas[:maxUnionMembers]
	}
	out := make([]string, 0, len(schemas))
	for _, s := range schemas {
		out = append(out, tsType(s, depth-1))
	}
	return out
}

func arrayType(m map[string]any, depth int) string {
	tuple, _ := m["prefixItems"].([]any)
	if t, ok := m["items"].([]any); ok {
		tuple = t // the draft-04 to 2019-09 spelling of a tuple
	}
	if len(tuple) > 0 {
		return "[" + strings.Join(mapTypes(tuple, depth), ", ") + "]"
	}
	items, ok := m["items"]
	if !ok {
		return "unknown[]"
	}
	return paren(tsType(items, depth-1)) + "[]"
}

func objectType(m map[string]any, depth int) string {
	props, _ := m["properties"].(map[string]any)
	required := map[string]bool{}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	var req, opt []string
	for name := range props {
		if required[name] {
			req = append(req, name)
		} else {
			opt = append(opt, name)
		}
	}
	for name := range required {
		if _, ok := props[name]; !ok {
			req = append(req, name) // required but undescribed
		}
	}
	sort.Strings(req)
	sort.Strings(opt)
	var fields []string
	for _, name := range append(req, opt...) {
		if len(fields) == maxProperties {
			break
		}
		q := "?"
		if required[name] {
			q = ""
		}
		fields = append(fields, propertyName(name)+q+": "+tsType(props[name], depth-1))
	}
	truncated := len(req)+len(opt) > maxProperties
	switch ap := m["additionalProperties"].(type) {
	case map[string]any:
		if len(fields) == 0 {
			fields = append(fields, "[key: string]: "+tsType(ap, depth-1))
			break
		}
		truncated = true
	case bool:
		if ap && len(fields) == 0 {
			truncated = true
		}
	case nil:
		if props == nil && len(fields) == 0 {
			truncated = true
		}
	}
	if truncated {
		fields = append(fields, "[key: string]: unknown")
	}
	if len(fields) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(fields, "; ") + " }"
}

func propertyName(name string) string {
	if isIdentifier(name) {
		return name
	}
	return quote(name)
}

// literal renders a JSON scalar as a TypeScript literal type.
func literal(v any) string {
	switch v.(type) {
	case string, float64, bool, nil:
		b, err := json.Marshal(v)
		if err == nil {
			return string(b)
		}
	}
	return "unknown"
}

func union(parts []string) string {
	parts = dedupe(parts)
	for _, p := range parts {
		if p == "unknown" {
			return "unknown"
		}
	}
	return strings.Join(parts, " | ")
}

func dedupe(parts []string) []string {
	seen := map[string]bool{}
	out := parts[:0:0]
	for _, p := range parts {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// paren wraps a union or intersection where a tighter-binding operator
// follows or surrounds it.
func paren(t string) string {
	if strings.Contains(t, " | ") || strings.Contains(t, " & ") {
		return "(" + t + ")"
	}
	return t
}
