package agent

import (
	"context"
	"encoding/json"
)

// Role is who said a message.
type Role string

// The two roles of a conversation. Tool results travel in user messages.
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

// Stop reasons a Provider reports.
const (
	StopEndTurn   = "end_turn"
	StopToolUse   = "tool_use"
	StopMaxTokens = "max_tokens"
)

// Part is one piece of a message. Exactly the fields of its Type are set.
// This is also the transcript's on-disk form, so fields are only added.
type Part struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	// tool_use
	ToolUseID string          `json:"toolUseId,omitempty"`
	ToolName  string          `json:"toolName,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolResultID string `json:"toolResultId,omitempty"`
	Content      string `json:"content,omitempty"`
	IsError      bool   `json:"isError,omitempty"`
}

// Message is one turn of the conversation.
type Message struct {
	Role  Role   `json:"role"`
	Parts []Part `json:"parts"`
}

// Tool is a tool offered to the model.
type Tool struct {
	Name        string
	Description string
	InputSchema json.RawMessage
}

// Usage counts the tokens of one model call.
type Usage struct {
	InputTokens  int64
	OutputTokens int64
}

// Request is one model call.
type Request struct {
	System    string
	Messages  []Message // read-only for the Provider
	Tools     []Tool
	MaxTokens int
	// OnText, if not nil, receives the answer's text as it streams in. It
	// is called from the goroutine that called Complete.
	OnText func(string)
}

// Response is the model's answer.
type Response struct {
	Parts      []Part
	StopReason string
	Usage      Usage
	Model      string
}

// Provider is a language model. Complete must not keep or change
// req.Messages; an error means no usable answer (the turn ends with it).
// The agent never sees the provider's credentials.
type Provider interface {
	Complete(ctx context.Context, req Request) (*Response, error)
}

// CostFunc estimates the cost in US dollars of one call's usage; known is
// false when the model's price is not known.
type CostFunc func(model string, u Usage) (usd float64, known bool)
