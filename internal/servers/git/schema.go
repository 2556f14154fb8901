package git

import (
	"encoding/json"

	"github.com/google/jsonschema-go/jsonschema"
)

// Builders for the input schemas in tools.go. The schemas keep the
// TypeScript server's argument names, types, enums, bounds and patterns,
// because compiled policies and tool annotations refer to them. Two
// deliberate differences: unknown arguments are refused
// (additionalProperties: false), since an argument no annotation
// describes is one no policy checked; and patterns that Go's regexp cannot
// compile (look-ahead in the email pattern) are left out, since a client
// resolving our schema would otherwise drop the tool; the handler checks
// those values instead.

const draft07 = "http://json-schema.org/draft-07/schema#"

// Patterns from the TypeScript server.
const (
	refNamePattern    = `^[^~^:?*\[\\]+$`
	remoteNamePattern = `^[a-zA-Z0-9._-]+$`
	// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER, the TypeScript
	// schemas' upper bound for counts.
	maxSafeInteger = 9007199254740991
)

type prop struct {
	name string
	s    *jsonschema.Schema
}

type opt func(*jsonschema.Schema)

func object(props []prop, required ...string) *jsonschema.Schema {
	s := &jsonschema.Schema{
		Schema:               draft07,
		Type:                 "object",
		Properties:           make(map[string]*jsonschema.Schema, len(props)),
		Required:             required,
		AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
	}
	for _, p := range props {
		s.Properties[p.name] = p.s
		s.PropertyOrder = append(s.PropertyOrder, p.name)
	}
	return s
}

func p(name string, s *jsonschema.Schema) prop { return prop{name, s} }

func str(desc string, opts ...opt) *jsonschema.Schema {
	return apply(&jsonschema.Schema{Type: "string", Description: desc}, opts)
}

func boolean(desc string, opts ...opt) *jsonschema.Schema {
	return apply(&jsonschema.Schema{Type: "boolean", Description: desc}, opts)
}

func integer(desc string, lo, hi float64, opts ...opt) *jsonschema.Schema {
	return apply(&jsonschema.Schema{Type: "integer", Description: desc, Minimum: &lo, Maximum: &hi}, opts)
}

func array(desc string, items *jsonschema.Schema, opts ...opt) *jsonschema.Schema {
	return apply(&jsonschema.Schema{Type: "array", Description: desc, Items: items}, opts)
}

func apply(s *jsonschema.Schema, opts []opt) *jsonschema.Schema {
	for _, o := range opts {
		o(s)
	}
	return s
}

// def sets a default, given as the JSON literal (`"."`, `false`, `3`).
func def(literal string) opt {
	return func(s *jsonschema.Schema) { s.Default = json.RawMessage(literal) }
}

func enum(vals ...string) opt {
	return func(s *jsonschema.Schema) {
		for _, v := range vals {
			s.Enum = append(s.Enum, v)
		}
	}
}

func minLen(n int) opt   { return func(s *jsonschema.Schema) { s.MinLength = &n } }
func maxLen(n int) opt   { return func(s *jsonschema.Schema) { s.MaxLength = &n } }
func minItems(n int) opt { return func(s *jsonschema.Schema) { s.MinItems = &n } }
func pattern(re string) opt {
	return func(s *jsonschema.Schema) { s.Pattern = re }
}

// Recurring argument shapes.

func pathArg() prop {
	return p("path", str("Repository directory. Absent or \".\" means the session working directory set with git_set_working_dir; a relative path is taken relative to it.", def(`"."`)))
}

func refNameArg(desc string) *jsonschema.Schema {
	return str(desc, minLen(1), maxLen(255), pattern(refNamePattern))
}

func remoteNameArg(desc string) *jsonschema.Schema {
	return str(desc, minLen(1), maxLen(255), pattern(remoteNamePattern))
}

// remoteArg is a remote by name or URL: the pattern of a name would refuse
// the resolved URL the gateway forwards in its place.
func remoteArg(desc string) *jsonschema.Schema {
	return str(desc, minLen(1), maxLen(2048))
}

func revArg(desc string) *jsonschema.Schema { return str(desc, minLen(1)) }

func stringItem() *jsonschema.Schema { return &jsonschema.Schema{Type: "string"} }

func pathsArg(desc string) *jsonschema.Schema { return array(desc, stringItem()) }

// mergedArg is true (relative to HEAD) or a commit.
func mergedArg(desc string) *jsonschema.Schema {
	return &jsonschema.Schema{Description: desc, AnyOf: []*jsonschema.Schema{
		{Type: "boolean"},
		revArg("A commit: hash, branch, tag or relative reference such as HEAD~1."),
	}}
}
