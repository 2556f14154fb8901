package llmtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
)

// obj is a decoded JSON object; numbers stay json.Number.
type obj = map[string]any

// decodeBody checks the transport-level shape both APIs share: a POST of one
// JSON object.
func decodeBody(r *http.Request, body []byte) (obj, error) {
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("method %s, want POST", r.Method)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, fmt.Errorf("content type %q, want application/json", r.Header.Get("Content-Type"))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m obj
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("body has data after the JSON object")
	}
	if m == nil {
		return nil, errors.New("body is not a JSON object")
	}
	return m, nil
}

func str(m obj, key string) (string, bool) {
	s, ok := m[key].(string)
	return s, ok
}

func nonEmpty(m obj, key, where string) (string, error) {
	s, ok := str(m, key)
	if !ok || s == "" {
		return "", fmt.Errorf("%s: %q must be a non-empty string", where, key)
	}
	return s, nil
}

func objects(v any, where string) ([]obj, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an array", where)
	}
	out := make([]obj, len(arr))
	for i, e := range arr {
		o, ok := e.(obj)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be an object", where, i)
		}
		out[i] = o
	}
	return out, nil
}

// positiveInt checks an optional integer field.
func positiveInt(m obj, key string, required bool) error {
	v, ok := m[key]
	if !ok {
		if required {
			return fmt.Errorf("%q is required", key)
		}
		return nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return fmt.Errorf("%q must be a number", key)
	}
	i, err := n.Int64()
	if err != nil || i <= 0 {
		return fmt.Errorf("%q must be a positive integer, not %s", key, n)
	}
	return nil
}

func optBool(m obj, key string) (bool, error) {
	v, ok := m[key]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%q must be a boolean", key)
	}
	return b, nil
}

// objectSchema checks a tool's parameter schema: a JSON object of type
// "object", as both APIs require of function tools.
func objectSchema(v any, where string) error {
	m, ok := v.(obj)
	if !ok {
		return fmt.Errorf("%s must be an object", where)
	}
	if t, ok := m["type"]; !ok || t != "object" {
		return fmt.Errorf("%s: type must be \"object\"", where)
	}
	if p, ok := m["properties"]; ok {
		if _, ok := p.(obj); !ok {
			return fmt.Errorf("%s: properties must be an object", where)
		}
	}
	return nil
}

// declareTools checks a tools array with the given name rule and returns
// the declared names.
func declareTools(v any, nameRE *regexp.Regexp, fn func(i int, t obj) (name string, err error)) (map[string]bool, error) {
	names := map[string]bool{}
	if v == nil {
		return names, nil
	}
	tools, err := objects(v, "tools")
	if err != nil {
		return nil, err
	}
	for i, t := range tools {
		name, err := fn(i, t)
		if err != nil {
			return nil, err
		}
		if !nameRE.MatchString(name) {
			return nil, fmt.Errorf("tools[%d]: name %q does not match %s", i, name, nameRE)
		}
		if names[name] {
			return nil, fmt.Errorf("tools[%d]: name %q declared twice", i, name)
		}
		names[name] = true
	}
	return names, nil
}
