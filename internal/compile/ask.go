package compile

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
)

// maxTokens leaves room for a server's full rule set or scenario list.
const maxTokens = 16384

// AnswerError is a model answer that stayed invalid after the repair round.
// It fails the server it was for; other errors (provider, log) abort the run.
type AnswerError struct {
	Purpose string
	Msg     string
}

func (e *AnswerError) Error() string { return e.Purpose + ": " + e.Msg }

// shared is what the per-server workers of one run share.
type shared struct {
	cfg   *Config
	sem   chan struct{} // bounds concurrent model requests
	logMu sync.Mutex    // guards cfg.Log
	prior *listsDoc     // the deployed lists; read-only
}

// asker makes one server's model requests and counts them.
type asker struct {
	sh     *shared
	server string
	calls  int
	usage  llm.Usage
}

// ask offers the model exactly one tool and hands its input to parse. A
// parse error is shown to the model once; if the second answer is still
// invalid the result is an *AnswerError.
func (a *asker) ask(ctx context.Context, purpose, system, user string, tool llm.Tool, parse func(json.RawMessage) error) error {
	req := llm.Request{
		System:    system,
		Messages:  []llm.Message{{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: user}}}},
		Tools:     []llm.Tool{tool},
		MaxTokens: maxTokens,
	}
	var lastErr error
	for round := range 2 {
		resp, err := a.complete(ctx, purpose, round, req)
		if err != nil {
			return err
		}
		var use *llm.Part
		for _, u := range resp.ToolUses() {
			if u.ToolName == tool.Name {
				use = &u
				break
			}
		}
		if use == nil {
			lastErr = fmt.Errorf("the answer did not call %s", tool.Name)
		} else if lastErr = parse(use.Input); lastErr == nil {
			return nil
		}
		if round == 1 {
			break
		}
		req.Messages = append(req.Messages, assistantTurn(resp), repairTurn(resp.ToolUses(), tool.Name, lastErr))
	}
	return &AnswerError{Purpose: purpose, Msg: oneLine(lastErr.Error(), 600)}
}

func assistantTurn(resp *llm.Response) llm.Message {
	parts := resp.Parts
	if len(parts) == 0 {
		parts = []llm.Part{{Type: llm.PartText, Text: "(no answer)"}}
	}
	return llm.Message{Role: llm.RoleAssistant, Parts: parts}
}

// repairTurn answers every tool call of the previous turn (providers
// insist) and carries the validation error.
func repairTurn(uses []llm.Part, tool string, err error) llm.Message {
	msg := "Your answer was rejected: " + err.Error() + "\nFix these problems and call " + tool + " again with the complete corrected answer."
	var parts []llm.Part
	answered := false
	for _, u := range uses {
		content := "Only " + tool + " is available."
		if u.ToolName == tool && !answered {
			content, answered = msg, true
		}
		parts = append(parts, llm.Part{Type: llm.PartToolResult, ToolResultID: u.ToolUseID, Content: content, IsError: true})
	}
	if !answered {
		parts = append(parts, llm.Part{Type: llm.PartText, Text: msg})
	}
	return llm.Message{Role: llm.RoleUser, Parts: parts}
}

// logRequest is llm.Request without its streaming callback.
type logRequest struct {
	System    string        `json:"system"`
	Messages  []llm.Message `json:"messages"`
	Tools     []llm.Tool    `json:"tools"`
	MaxTokens int           `json:"maxTokens"`
}

// logLine is one line of the interactions log.
type logLine struct {
	Time     string        `json:"time"`
	Purpose  string        `json:"purpose"`
	Server   string        `json:"server"`
	Model    string        `json:"model"`
	Round    int           `json:"round"`
	Request  logRequest    `json:"request"`
	Response *llm.Response `json:"response,omitempty"`
	Error    string        `json:"error,omitempty"`
	Millis   int64         `json:"durationMs"`
}

func (a *asker) complete(ctx context.Context, purpose string, round int, req llm.Request) (*llm.Response, error) {
	select {
	case a.sh.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("compile: %s %s: %w", a.server, purpose, ctx.Err())
	}
	cfg := a.sh.cfg
	start := cfg.Now()
	resp, err := cfg.Provider.Complete(ctx, req)
	<-a.sh.sem
	a.calls++
	line := logLine{Time: start.UTC().Format(time.RFC3339Nano), Purpose: purpose, Server: a.server, Model: cfg.Provider.Name(),
		Round: round, Request: logRequest{req.System, req.Messages, req.Tools, req.MaxTokens}, Response: resp, Millis: cfg.Now().Sub(start).Milliseconds()}
	if err != nil {
		line.Error = err.Error()
	}
	if werr := a.sh.log(line); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, fmt.Errorf("compile: %s %s: %w", a.server, purpose, err)
	}
	a.usage = a.usage.Add(resp.Usage)
	return resp, nil
}

func (sh *shared) log(line logLine) error {
	if sh.cfg.Log == nil {
		return nil
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("compile: interactions log: %w", err)
	}
	sh.logMu.Lock()
	defer sh.logMu.Unlock()
	if _, err := sh.cfg.Log.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("compile: interactions log: %w", err)
	}
	return nil
}

// oneLine flattens text for an error or a prompt, cut at max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
