package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
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
	var wire struct {
		Meta    mcp.Meta `json:"_meta"`
		Content []struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		} `json:"content"`
		IsError    bool   `json:"isError"`
		ResultType string `json:"resultType"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if dec.Decode(&wire) != nil || dec.More() || wire.Content == nil || (wire.ResultType != "" && wire.ResultType != "complete") {
		return nil, false
	}
	res := &mcp.CallToolResult{Meta: wire.Meta, IsError: wire.IsError, Content: make([]mcp.Content, len(wire.Content))}
	for i, c := range wire.Content {
		if c.Type != "text" || c.Text == nil {
			return nil, false
		}
		res.Content[i] = &mcp.TextContent{Text: *c.Text}
	}
	return res, true
}
