package policy

import (
	"fmt"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// MaxCallSize bounds one call's JSON; tool calls are small, and a larger
// one is more likely an attack on the parser than a request.
const MaxCallSize = 4 << 20

// ParseCall reads {"serverName":..,"toolName":..,"arguments":{..}}
// strictly: unknown fields, duplicate keys, wrong types and invalid UTF-8
// are errors.
func ParseCall(data []byte) (Call, error) {
	v, err := jsondoc.Parse(data, MaxCallSize)
	if err != nil {
		return Call{}, fmt.Errorf("call: %w", err)
	}
	c := &jsondoc.Checker{File: "call"}
	call, _ := CallFromValue(c, v)
	if err := c.Err(); err != nil {
		return Call{}, err
	}
	return call, nil
}

// CallFromValue reads a call from a parsed document, recording problems in c.
func CallFromValue(c *jsondoc.Checker, v *jsondoc.Value) (Call, bool) {
	var call Call
	if !c.Object(v, "serverName", "toolName", "arguments") {
		return call, false
	}
	before := len(c.Errs)
	if s := c.Required(v, "serverName"); s != nil {
		call.Server, _ = c.NonEmptyString(s)
	}
	if t := c.Required(v, "toolName"); t != nil {
		call.Tool, _ = c.NonEmptyString(t)
	}
	call.Arguments = map[string]any{}
	if a := v.Get("arguments"); a != nil && c.Kind(a, jsondoc.Object) {
		call.Arguments = a.Interface().(map[string]any)
	}
	return call, len(c.Errs) == before
}
