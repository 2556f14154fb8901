package jsworker

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// What callTool hands the prelude: a kind and a payload. The prelude
// returns or throws accordingly.
const (
	resText      = 0 // payload is the text of a single text item
	resJSON      = 1 // payload is the MCP content array as JSON
	resDenied    = 2 // thrown as Error("DENIED: " + payload)
	resTypeError = 3 // thrown as TypeError(payload): the call itself was wrong
	resToolError = 4 // thrown as Error("TOOL ERROR: " + payload)
	resError     = 5 // thrown as Error(payload)
)

// toolChannel sends tool calls to the parent and reads the answers, one
// call at a time. Once a message from the parent fails to decode the
// stream cannot be trusted to line up again, so the channel stays broken
// and every later call fails too.
type toolChannel struct {
	known  map[[2]string]bool
	dec    *runnerproto.Decoder
	enc    *runnerproto.Encoder
	max    int
	calls  int
	lastID uint64
	broken error
}

func newToolChannel(tools []runnerproto.ToolSpec, dec *runnerproto.Decoder, enc *runnerproto.Encoder, max int) *toolChannel {
	known := make(map[[2]string]bool, len(tools))
	for _, t := range tools {
		known[[2]string{t.Server, t.Name}] = true
	}
	return &toolChannel{known: known, dec: dec, enc: enc, max: max}
}

// maxArgs leaves room in a message for the envelope around the arguments.
const maxArgs = runnerproto.MaxMessageSize - 64<<10

// callTool is the host function behind every tool stub.
func (e *execution) callTool(server, tool, args string) (int, string) {
	c := e.tools
	switch {
	case e.finished:
		return resError, "the script has finished; tools can no longer be called"
	case c.broken != nil:
		return resError, "tool calls are unavailable: " + c.broken.Error()
	case !c.known[[2]string{server, tool}]:
		return resTypeError, fmt.Sprintf("no tool %s.%s", server, tool)
	case len(args) > maxArgs:
		return resTypeError, fmt.Sprintf("the arguments are %d bytes as JSON, more than %d", len(args), maxArgs)
	case c.calls >= c.max:
		e.stop(KindLimit, fmt.Sprintf("the script made more than %d tool calls", c.max))
		return resError, "tool call limit reached"
	}
	c.calls++
	c.lastID++
	id := c.lastID
	err := c.enc.Encode(&runnerproto.Message{Type: runnerproto.TypeToolCall, Call: &runnerproto.ToolCall{
		ID: id, Server: server, Tool: tool, Args: json.RawMessage(args),
	}})
	if err != nil {
		c.broken = fmt.Errorf("send the call: %w", err)
		return resError, "tool call failed: " + c.broken.Error()
	}
	msg, err := c.dec.Decode()
	switch {
	case err != nil:
		c.broken = fmt.Errorf("the tool result was rejected: %w", err)
	case msg.Type != runnerproto.TypeToolResult:
		c.broken = fmt.Errorf("expected a tool result, got a %q message", msg.Type)
	case msg.Result.ID != id:
		c.broken = fmt.Errorf("expected the result of call %d, got %d", id, msg.Result.ID)
	}
	if c.broken != nil {
		return resError, "tool call failed: " + c.broken.Error()
	}
	return decodeResult(msg.Result)
}

// decodeResult turns a ToolResult into what the script sees. A refusal
// wins over anything else the result carries.
func decodeResult(r *runnerproto.ToolResult) (int, string) {
	switch {
	case r.Denied != "":
		return resDenied, r.Denied
	case r.Error != "":
		return resError, r.Error
	}
	content := r.Content
	if len(content) == 0 || string(content) == "null" {
		content = json.RawMessage("[]")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(content, &items); err != nil {
		return resError, "malformed tool result: the content is not a JSON array"
	}
	var texts []string
	for _, raw := range items {
		var it struct {
			Type string  `json:"type"`
			Text *string `json:"text"`
		}
		if json.Unmarshal(raw, &it) != nil {
			return resError, "malformed tool result: a content item is not an object"
		}
		if it.Type == "text" && it.Text != nil {
			texts = append(texts, *it.Text)
		}
	}
	switch {
	case r.IsError:
		if len(texts) == 0 {
			return resToolError, "the tool failed without saying why"
		}
		return resToolError, strings.Join(texts, "\n")
	case len(items) == 1 && len(texts) == 1:
		return resText, texts[0]
	}
	return resJSON, string(content)
}
