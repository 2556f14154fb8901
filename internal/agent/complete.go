package agent

import (
	"context"
	"encoding/json"
	"fmt"
)

// complete makes one model call with the whole conversation, logs it to
// the interaction log and charges its usage to the session.
func (a *Agent) complete(ctx context.Context) (*Response, error) {
	msgs := a.cfg.Session.Messages()
	req := Request{
		System:    a.system,
		Messages:  msgs,
		Tools:     []Tool{executeCodeTool()},
		MaxTokens: a.cfg.MaxTokens,
		OnText:    func(s string) { a.cfg.Events(Event{Kind: EventText, Text: s}) },
	}
	start := a.cfg.Clock()
	resp, err := a.cfg.Provider.Complete(ctx, req)
	if err == nil && resp == nil {
		err = fmt.Errorf("model provider %T returned neither an answer nor an error", a.cfg.Provider)
	}
	if err == nil {
		err = cleanResponse(resp)
	}
	rec := interaction{
		Time:         start.UTC(),
		SessionID:    a.cfg.Session.ID,
		Step:         a.cfg.Session.Spent().Steps + 1,
		Sent:         msgs[min(a.logged, len(msgs)):],
		MessageCount: len(msgs),
		MaxTokens:    req.MaxTokens,
		DurationMs:   float64(a.cfg.Clock().Sub(start).Microseconds()) / 1000,
	}
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.Response = &loggedResp{Model: resp.Model, StopReason: resp.StopReason, Parts: resp.Parts,
			InputTokens: resp.Usage.InputTokens, OutputTokens: resp.Usage.OutputTokens}
	}
	if lerr := a.interactions.write(rec, a.system); lerr != nil {
		a.cfg.Logger.Warn("interaction log write failed", "err", lerr)
	}
	a.logged = len(msgs)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return resp, a.charge(resp)
}

// cleanResponse checks what the provider returned before it enters the
// transcript: usage is never negative, a tool_use without input gets {},
// and the parts must form a valid assistant message.
func cleanResponse(r *Response) error {
	r.Usage.InputTokens = max(r.Usage.InputTokens, 0)
	r.Usage.OutputTokens = max(r.Usage.OutputTokens, 0)
	parts := make([]Part, 0, len(r.Parts))
	for _, p := range r.Parts {
		if p.Type == PartText && p.Text == "" {
			continue // providers refuse empty text blocks when sent back
		}
		if p.Type == PartToolUse && len(p.Input) == 0 {
			p.Input = json.RawMessage(`{}`)
		}
		parts = append(parts, p)
	}
	r.Parts = parts
	if len(parts) == 0 {
		return nil
	}
	if err := checkMessage(Message{Role: RoleAssistant, Parts: parts}); err != nil {
		return fmt.Errorf("malformed answer: %w", err)
	}
	return nil
}

// charge adds one step's usage and cost to the session.
func (a *Agent) charge(r *Response) error {
	model := r.Model
	if model == "" {
		model = a.cfg.Session.Model
	}
	var usd float64
	known := false
	if a.cfg.Cost != nil {
		usd, known = a.cfg.Cost(model, r.Usage)
		if !(usd >= 0) { // also NaN
			usd, known = 0, false
		}
	}
	if !known && a.cfg.Budget.CostUSD > 0 && !a.costWarned {
		a.costWarned = true
		a.cfg.Events(Event{Kind: EventWarning, Dimension: DimCost,
			Text: fmt.Sprintf("the price of model %q is not known, so its cost is not counted against the cost budget", model)})
	}
	return a.cfg.Session.update(func(sp *Spent, _ map[Dimension]bool) {
		sp.Steps++
		sp.InputTokens += r.Usage.InputTokens
		sp.OutputTokens += r.Usage.OutputTokens
		sp.CostUSD += usd
		if !known {
			sp.CostUnknown = true
		}
	})
}
