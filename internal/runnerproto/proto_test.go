package runnerproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	msgs := []*Message{
		{Type: TypeStart, Start: &Start{Code: "1+1", Tools: []ToolSpec{{Server: "fs", Name: "read"}}, Limits: Limits{MemoryBytes: 1 << 20}}},
		{Type: TypeToolCall, Call: &ToolCall{ID: 1, Server: "fs", Tool: "read", Args: json.RawMessage(`{"path":"a"}`)}},
		{Type: TypeToolResult, Result: &ToolResult{ID: 1, Denied: "no"}},
		{Type: TypeDone, Done: &Done{Value: json.RawMessage(`2`)}},
	}
	for _, m := range msgs {
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	dec := NewDecoder(&buf)
	for _, want := range msgs {
		got, err := dec.Decode()
		if err != nil || got.Type != want.Type {
			t.Fatalf("Decode = %+v, %v; want %s", got, err, want.Type)
		}
	}
	if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
		t.Fatalf("Decode at end = %v, want EOF", err)
	}
}

func TestParseRejects(t *testing.T) {
	for name, line := range map[string]string{
		"unknown field":     `{"type":"done","done":{},"extra":1}`,
		"unknown type":      `{"type":"exec","done":{}}`,
		"two payloads":      `{"type":"done","done":{},"call":{"id":1,"server":"a","tool":"b"}}`,
		"wrong payload":     `{"type":"done","call":{"id":1,"server":"a","tool":"b"}}`,
		"call without tool": `{"type":"tool_call","call":{"id":1,"server":"a"}}`,
		"invalid utf8":      "{\"type\":\"done\",\"done\":{\"error\":\"\xff\"}}",
		"trailing":          `{"type":"done","done":{}} {}`,
		"not json":          `done`,
	} {
		if _, err := Parse([]byte(line)); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		}
	}
	big := `{"type":"done","done":{"error":"` + strings.Repeat("a", MaxMessageSize) + `"}}` + "\n"
	if _, err := NewDecoder(strings.NewReader(big)).Decode(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized message: %v", err)
	}
	if err := NewEncoder(io.Discard).Encode(&Message{Type: TypeDone, Done: &Done{Error: strings.Repeat("a", MaxMessageSize)}}); err == nil {
		t.Error("encoding an oversized message succeeded")
	}
}

// FuzzParse: the decoder never panics and accepts only well-formed messages.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"type":"tool_call","call":{"id":1,"server":"a","tool":"b","args":{}}}`))
	f.Add([]byte(`{"type":"done","done":{"value":1,"console":[{"level":"log","text":"x"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		if err := m.check(); err != nil {
			t.Fatalf("Parse accepted a malformed message: %v", err)
		}
	})
}
