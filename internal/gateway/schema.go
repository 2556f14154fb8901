package gateway

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
)

// compileSchema checks a tool's advertised input schema and prepares it for
// validation. Servers are untrusted: a schema that is not an object schema
// or does not resolve drops the tool instead of crashing anything.
func compileSchema(raw any) (*jsonschema.Resolved, *quickSchema, error) {
	if raw == nil {
		return nil, nil, errors.New("no input schema")
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("input schema: %w", err)
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, nil, fmt.Errorf("input schema: %w", err)
	}
	if s.Type != "object" {
		return nil, nil, fmt.Errorf("input schema has type %q, want \"object\"", s.Type)
	}
	r, err := s.Resolve(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("input schema: %w", err)
	}
	return r, quickFrom(data), nil
}

// validationView converts decoded arguments to the plain types the
// validator understands (json.Number → float64); the original keeps exact
// number literals for forwarding.
func validationView(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return t.String()
		}
		return f
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = validationView(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = validationView(e)
		}
		return out
	}
	return v
}

// outOfRange finds a number in v that a float64 cannot hold.
func outOfRange(v any) (string, bool) {
	switch t := v.(type) {
	case json.Number:
		if _, err := t.Float64(); err != nil {
			return t.String(), true
		}
	case map[string]any:
		for _, e := range t {
			if lit, ok := outOfRange(e); ok {
				return lit, true
			}
		}
	case []any:
		for _, e := range t {
			if lit, ok := outOfRange(e); ok {
				return lit, true
			}
		}
	}
	return "", false
}

// clipText keeps at most n bytes of s for a message.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
