package annotate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
)

// runner makes the model requests of one run.
type runner struct {
	cfg Config
	res *Result
}

// batch annotates tools with one request and, if some answers are invalid,
// one repair request that shows the model its mistakes. Tools still
// invalid keep their errors and end up in Result.Failed.
func (r *runner) batch(ctx context.Context, n int, tools []*pending) error {
	req := llm.Request{
		System:    systemPrompt(),
		Messages:  []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: batchMessage(tools)}}}},
		Tools:     []llm.Tool{{Name: submitTool, Description: "Submit the argument roles of the tools you were asked to annotate.", InputSchema: submitSchema()}},
		MaxTokens: maxTokens,
	}
	open := tools
	for round := 0; round < 2 && len(open) > 0; round++ {
		resp, err := r.complete(ctx, n, round, req)
		if err != nil {
			return err
		}
		answers, uses, perr := extract(resp)
		var bad []*pending
		for _, p := range open {
			p.entry, p.errs = nil, nil
			v := answers[p.key]
			switch {
			case v != nil:
				p.entry, p.errs = validateEntry(p, v)
			case perr != nil:
				p.errs = []string{perr.Error()}
			default:
				p.errs = []string{"no annotation was submitted for this tool"}
			}
			if p.entry == nil {
				bad = append(bad, p)
			}
		}
		open = bad
		if len(open) == 0 || round == 1 {
			break
		}
		req.Messages = append(req.Messages, assistantTurn(resp), repairTurn(uses, open))
	}
	return nil
}

// extract finds the submit_annotations call in a response.
func extract(resp *llm.Response) (answers map[string]*jsondoc.Value, uses []llm.Part, err error) {
	uses = resp.ToolUses()
	for _, u := range uses {
		if u.ToolName != submitTool {
			continue
		}
		answers, err = ParseAnswer(u.Input)
		return answers, uses, err
	}
	return nil, uses, fmt.Errorf("the answer did not call %s", submitTool)
}

// assistantTurn replays the model's answer; providers refuse an empty turn.
func assistantTurn(resp *llm.Response) llm.Message {
	parts := resp.Parts
	if len(parts) == 0 {
		parts = []llm.Part{{Type: llm.PartText, Text: "(no answer)"}}
	}
	return llm.Message{Role: llm.RoleAssistant, Parts: parts}
}

// repairTurn answers every tool call of the previous turn (providers insist)
// and carries the validation errors.
func repairTurn(uses []llm.Part, bad []*pending) llm.Message {
	msg := repairMessage(bad)
	var parts []llm.Part
	answered := false
	for _, u := range uses {
		content := "Only " + submitTool + " is available."
		if u.ToolName == submitTool && !answered {
			content, answered = msg, true
		}
		parts = append(parts, llm.Part{Type: llm.PartToolResult, ToolResultID: u.ToolUseID, Content: content, IsError: true})
	}
	if !answered {
		parts = append(parts, llm.Part{Type: llm.PartText, Text: msg + "\nAnswer by calling " + submitTool + "."})
	}
	return llm.Message{Role: llm.RoleUser, Parts: parts}
}

// logRequest is llm.Request without its streaming callback, which JSON
// cannot carry.
type logRequest struct {
	System    string        `json:"system"`
	Messages  []llm.Message `json:"messages"`
	Tools     []llm.Tool    `json:"tools"`
	MaxTokens int           `json:"maxTokens"`
}

// logLine is one line of the interactions log. Providers hold the keys, so
// nothing here can carry one.
type logLine struct {
	Time     string        `json:"time"`
	Purpose  string        `json:"purpose"`
	Model    string        `json:"model"`
	Batch    int           `json:"batch"`
	Round    int           `json:"round"`
	Request  logRequest    `json:"request"`
	Response *llm.Response `json:"response,omitempty"`
	Error    string        `json:"error,omitempty"`
	Millis   int64         `json:"durationMs"`
}

func (r *runner) complete(ctx context.Context, batch, round int, req llm.Request) (*llm.Response, error) {
	start := r.cfg.Now()
	resp, err := r.cfg.Provider.Complete(ctx, req)
	r.res.Calls++
	line := logLine{Time: start.UTC().Format(time.RFC3339Nano), Purpose: "annotate-tools", Model: r.cfg.Provider.Name(),
		Batch: batch, Round: round, Request: logRequest{req.System, req.Messages, req.Tools, req.MaxTokens}, Response: resp, Millis: r.cfg.Now().Sub(start).Milliseconds()}
	if err != nil {
		line.Error = err.Error()
	}
	if r.cfg.Log != nil {
		b, merr := json.Marshal(line)
		if merr != nil {
			return nil, fmt.Errorf("annotate: interactions log: %w", merr)
		}
		if _, werr := r.cfg.Log.Write(append(b, '\n')); werr != nil {
			return nil, fmt.Errorf("annotate: interactions log: %w", werr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("annotate: batch %d: %w", batch+1, err)
	}
	r.res.Usage = r.res.Usage.Add(resp.Usage)
	return resp, nil
}
