package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// Role says who wrote a message.
type Role string

// Roles. The system prompt is Request.System, not a message.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Part types.
const (
	PartText       = "text"
	PartToolUse    = "tool_use"
	PartToolResult = "tool_result"
)

// Part is one piece of a message. Type says which fields are meaningful.
type Part struct {
	Type string // PartText, PartToolUse or PartToolResult
	Text string // text

	// tool_use, only in assistant messages. Input is always valid JSON when
	// it comes from a provider: arguments the model produced that are not
	// valid JSON arrive as a JSON string holding the raw text, so a caller
	// decoding an object fails and can tell the model why.
	ToolUseID string
	ToolName  string
	Input     json.RawMessage

	// tool_result, only in user messages; ToolResultID refers to the
	// ToolUseID being answered.
	ToolResultID string
	Content      string
	IsError      bool
}

// Message is one turn of the conversation.
type Message struct {
	Role  Role
	Parts []Part
}

// Tool is a function the model may call. InputSchema is a JSON Schema whose
// top level is an object; empty means "an object with no declared fields".
type Tool struct {
	Name        string
	Description string
	InputSchema json.RawMessage
}

// DefaultMaxTokens is used when Request.MaxTokens is zero.
const DefaultMaxTokens = 4096

// Request is one completion request.
type Request struct {
	System    string
	Messages  []Message
	Tools     []Tool
	MaxTokens int // 0 means DefaultMaxTokens

	// OnText, if not nil, is called with each piece of model text as it
	// streams in, in order, on the goroutine that called Complete. Text
	// inside tool-call arguments is not reported. It must not block for long:
	// the provider's stream waits for it.
	OnText func(delta string)
}

// Usage counts tokens. InputTokens includes tokens served from or written to
// a prompt cache.
type Usage struct {
	InputTokens  int64
	OutputTokens int64
}

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{InputTokens: u.InputTokens + v.InputTokens, OutputTokens: u.OutputTokens + v.OutputTokens}
}

// Normalized stop reasons. Anthropic's values are used as they are; OpenAI's
// finish reasons are mapped onto them.
const (
	StopEndTurn      = "end_turn"
	StopToolUse      = "tool_use"
	StopMaxTokens    = "max_tokens"
	StopSequence     = "stop_sequence"
	StopRefusal      = "refusal"
	StopPauseTurn    = "pause_turn"
	StopContextLimit = "model_context_window_exceeded"
)

// Response is the model's answer: text and tool_use parts, in the order the
// model produced them.
type Response struct {
	Parts      []Part
	StopReason string // one of the Stop constants, or the provider's own word if it has no mapping
	Usage      Usage
	Model      string // as the provider reported it (may carry a date suffix)
}

// ToolUses returns the response's tool_use parts.
func (r *Response) ToolUses() []Part {
	var out []Part
	for _, p := range r.Parts {
		if p.Type == PartToolUse {
			out = append(out, p)
		}
	}
	return out
}

// Text returns the response's text parts joined.
func (r *Response) Text() string {
	var s string
	for _, p := range r.Parts {
		if p.Type == PartText {
			s += p.Text
		}
	}
	return s
}

// Provider completes conversations. Implementations are safe for concurrent
// use. Complete honours ctx: cancelling it aborts the request (and any retry
// wait) and the error wraps ctx.Err().
type Provider interface {
	Complete(ctx context.Context, req Request) (*Response, error)
	Name() string // "anthropic:claude-sonnet-4-6"
}

// MaxResponseBytes bounds the model text and tool arguments accepted from one
// response; a stream that goes past it is cut off with an error.
const MaxResponseBytes = 8 << 20

// ErrNoKey is matched (errors.Is) by the error New returns when a provider
// needs an API key and none is configured.
var ErrNoKey = errors.New("API key is not set")

type noKeyError struct {
	envVar, configKey, configPath string
}

func (e *noKeyError) Error() string {
	return fmt.Sprintf("%s is not set (or set %s in %s)", e.envVar, e.configKey, e.configPath)
}

func (e *noKeyError) Is(target error) bool { return target == ErrNoKey }

// APIError is a provider's refusal of a request (an HTTP error status, or an
// error event in a stream). Its message is one line and names the provider;
// the SDK's error, with the full response, is reachable through Unwrap.
type APIError struct {
	Provider   string // "anthropic", "openai", "openai-compatible"
	StatusCode int    // 0 for an error event inside a stream
	Type       string // the provider's error type or code, if it sent one
	Message    string // the provider's message, flattened to one line and shortened
	Hint       string // what to check, for authentication failures
	err        error
}

func (e *APIError) Error() string {
	s := e.Provider + ": "
	if e.StatusCode != 0 {
		s += fmt.Sprintf("HTTP %d", e.StatusCode)
	} else {
		s += "stream error"
	}
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

func (e *APIError) Unwrap() error { return e.err }

// flatError keeps an SDK or transport error reachable while showing it on
// one line: some of them carry multi-line bodies.
type flatError struct {
	msg string
	err error
}

func (e *flatError) Error() string { return e.msg }
func (e *flatError) Unwrap() error { return e.err }

func flatten(provider string, err error) error {
	return &flatError{msg: provider + ": " + oneLine(err.Error()), err: err}
}

// toolNameRE is the intersection of what Anthropic and OpenAI accept.
var toolNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// validate catches requests no provider would accept, before any network
// traffic, so the caller's bug is reported as such rather than as an HTTP 400.
func (r *Request) validate() error {
	if r.MaxTokens < 0 {
		return fmt.Errorf("max tokens %d is negative", r.MaxTokens)
	}
	if len(r.Messages) == 0 {
		return errors.New("request has no messages")
	}
	if r.Messages[0].Role != RoleUser {
		return fmt.Errorf("messages[0]: the conversation must start with a user message, not %q", r.Messages[0].Role)
	}
	for i, m := range r.Messages {
		if m.Role != RoleUser && m.Role != RoleAssistant {
			return fmt.Errorf("messages[%d]: role %q is not user or assistant", i, m.Role)
		}
		if len(m.Parts) == 0 {
			return fmt.Errorf("messages[%d]: no parts", i)
		}
		for j, p := range m.Parts {
			if err := p.validate(m.Role); err != nil {
				return fmt.Errorf("messages[%d].parts[%d]: %w", i, j, err)
			}
		}
	}
	seen := make(map[string]bool, len(r.Tools))
	for i, t := range r.Tools {
		if !toolNameRE.MatchString(t.Name) {
			return fmt.Errorf("tools[%d]: name %q must be 1-64 letters, digits, _ or -", i, t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("tools[%d]: name %q is declared twice", i, t.Name)
		}
		seen[t.Name] = true
		if _, err := schemaObject(t.InputSchema); err != nil {
			return fmt.Errorf("tools[%d] (%s): %w", i, t.Name, err)
		}
	}
	return nil
}

func (p *Part) validate(role Role) error {
	switch p.Type {
	case PartText:
		return nil
	case PartToolUse:
		if role != RoleAssistant {
			return errors.New("tool_use only belongs in assistant messages")
		}
		if p.ToolUseID == "" || p.ToolName == "" {
			return errors.New("tool_use needs ToolUseID and ToolName")
		}
		if len(p.Input) > 0 && !json.Valid(p.Input) {
			return errors.New("tool_use input is not valid JSON")
		}
		return nil
	case PartToolResult:
		if role != RoleUser {
			return errors.New("tool_result only belongs in user messages")
		}
		if p.ToolResultID == "" {
			return errors.New("tool_result needs ToolResultID")
		}
		return nil
	default:
		return fmt.Errorf("unknown part type %q", p.Type)
	}
}

// schemaObject decodes a tool's input schema, which must be a JSON object
// whose "type", if present, is "object".
func schemaObject(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 {
		return map[string]any{"type": "object"}, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("input schema is not a JSON object")
	}
	if t, ok := m["type"]; ok && t != "object" {
		return nil, fmt.Errorf("input schema type is %v, not \"object\"", t)
	}
	if _, ok := m["type"]; !ok {
		m["type"] = "object"
	}
	return m, nil
}

// toolInput turns accumulated tool arguments into a valid JSON value: empty
// means no arguments, invalid JSON becomes a JSON string of the raw text.
func toolInput(raw string) json.RawMessage {
	if raw == "" {
		return json.RawMessage(`{}`)
	}
	if json.Valid([]byte(raw)) {
		return json.RawMessage(raw)
	}
	b, _ := json.Marshal(raw) // a string always marshals; invalid UTF-8 becomes U+FFFD
	return b
}

// inputObject is the input to send back in a tool_use: providers insist on an
// object, so anything else (a model's broken arguments) is replaced by {}.
func inputObject(in json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if len(in) == 0 || json.Unmarshal(in, &m) != nil || m == nil {
		return json.RawMessage(`{}`)
	}
	return in
}

// inputArguments is the arguments string for an OpenAI tool call: the raw
// text for a model's broken arguments (kept as a JSON string by toolInput),
// the JSON itself otherwise.
func inputArguments(in json.RawMessage) string {
	if len(in) == 0 {
		return "{}"
	}
	var s string
	if json.Unmarshal(in, &s) == nil {
		return s
	}
	return string(in)
}
