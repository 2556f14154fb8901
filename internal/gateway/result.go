package gateway

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// decodeResult turns a server's tools/call result into the SDK's type. The
// common shape — text content, isError, _meta and a complete resultType,
// nothing else — is decoded here in one pass; anything else (images,
// resources, annotations, structured content, input requests) goes through
// the SDK's own decoder. FuzzDecodeResult holds both to the same value.
func decodeResult(raw json.RawMessage) (*mcp.CallToolResult, error) {
	if res, ok := decodeTextResult(raw); ok {
		return res, nil
	}
	var res mcp.CallToolResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decode tool result: %w", err)
	}
	return &res, nil
}

func decodeTextResult(raw json.RawMessage) (*mcp.CallToolResult, bool) {
	m, ok := objectFields(raw, "_meta", "content", "isError", "resultType")
	if !ok {
		return nil, false
	}
	var (
		items      []json.RawMessage
		resultType string
		res        mcp.CallToolResult
	)
	if !field(m, "content", &items) || items == nil ||
		!field(m, "isError", &res.IsError) || !field(m, "_meta", &res.Meta) ||
		!field(m, "resultType", &resultType) || (resultType != "" && resultType != "complete") {
		return nil, false
	}
	res.Content = make([]mcp.Content, len(items))
	for i, item := range items {
		c, ok := objectFields(item, "type", "text")
		var typ string
		var text *string
		if !ok || !field(c, "type", &typ) || typ != "text" || !field(c, "text", &text) || text == nil {
			return nil, false
		}
		res.Content[i] = &mcp.TextContent{Text: *text}
	}
	return &res, true
}

// objectFields splits a JSON object into its members, by their exact names
// (encoding/json would match struct fields regardless of case; the SDK
// does not). It fails if raw is not an object, or has a member not named
// or named twice.
func objectFields(raw []byte, names ...string) (map[string]json.RawMessage, bool) {
	members, ok := jsondoc.ObjectMembers(raw)
	if !ok {
		return nil, false
	}
	m := make(map[string]json.RawMessage, len(members))
	for _, mb := range members {
		if _, dup := m[mb.Key]; dup || !slices.Contains(names, mb.Key) {
			return nil, false
		}
		m[mb.Key] = mb.Value
	}
	return m, true
}

// field decodes member name of m into v; an absent member leaves v alone.
func field(m map[string]json.RawMessage, name string, v any) bool {
	raw, ok := m[name]
	return !ok || json.Unmarshal(raw, v) == nil
}
