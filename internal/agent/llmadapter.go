package agent

import (
	"context"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
)

// FromLLM makes an llm.Provider (Anthropic, OpenAI, OpenAI-compatible) the
// agent's Provider. The conversation is copied both ways, so neither side
// can change the other's messages.
func FromLLM(p llm.Provider) Provider { return llmProvider{p} }

type llmProvider struct{ p llm.Provider }

func (l llmProvider) Complete(ctx context.Context, req Request) (*Response, error) {
	lr := llm.Request{System: req.System, MaxTokens: req.MaxTokens, OnText: req.OnText,
		Messages: make([]llm.Message, len(req.Messages)), Tools: make([]llm.Tool, len(req.Tools))}
	for i, m := range req.Messages {
		lm := llm.Message{Role: llm.Role(m.Role), Parts: make([]llm.Part, len(m.Parts))}
		for j, p := range m.Parts {
			lm.Parts[j] = llm.Part(p)
		}
		lr.Messages[i] = lm
	}
	for i, t := range req.Tools {
		lr.Tools[i] = llm.Tool(t)
	}
	resp, err := l.p.Complete(ctx, lr)
	if err != nil || resp == nil {
		return nil, err
	}
	out := &Response{StopReason: resp.StopReason, Model: resp.Model, Usage: Usage(resp.Usage),
		Parts: make([]Part, len(resp.Parts))}
	for i, p := range resp.Parts {
		out.Parts[i] = Part(p)
	}
	return out, nil
}

// LLMCost estimates costs from llm's price table.
func LLMCost(model string, u Usage) (float64, bool) {
	return llm.EstimateCost(model, llm.Usage(u))
}
