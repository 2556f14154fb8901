package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// DefaultMaxTokens bounds one model answer.
const DefaultMaxTokens = 8192

// Config is everything an Agent needs. Required collaborators are fields;
// nil is an error.
type Config struct {
	Session  *Session // required; the Agent does not close it
	Provider Provider // required
	Executor Executor // required
	// Budget bounds the session; see Budget. The zero Budget is no limit.
	Budget Budget
	// ToolsOverview lists the servers and tools the code can call (what
	// help() prints); it goes into the system prompt.
	ToolsOverview string
	// ResultLimit bounds the text of one execute_code result fed back to
	// the model (default DefaultResultLimit).
	ResultLimit int
	// MaxTokens bounds one model answer (default DefaultMaxTokens).
	MaxTokens int
	// Cost estimates a call's cost. nil means no price is known: the cost
	// budget then cannot be enforced, and the person is told so once.
	Cost CostFunc
	// Clock measures wall-clock time (default time.Now).
	Clock func() time.Time
	// Events receives what the person should see (streamed text, code,
	// results, warnings, stops). It is called from the goroutine running
	// Turn and must not block for long; nil discards.
	Events func(Event)
	// Logger receives operational problems (a failed interaction-log
	// write); nil discards.
	Logger *slog.Logger
}

// Agent runs the turns of one session. Turn must not be called
// concurrently; Spent and Budget may be called at any time.
type Agent struct {
	cfg          Config
	system       string
	interactions *interactionLog

	// Touched only by the goroutine in Turn.
	logged int // messages already written to the interaction log

	costWarned bool // the person was told the cost cannot be estimated
}

// New checks cfg and opens the session's interaction log.
func New(cfg Config) (*Agent, error) {
	switch {
	case cfg.Session == nil:
		return nil, errors.New("agent: no session")
	case cfg.Provider == nil:
		return nil, errors.New("agent: no model provider")
	case cfg.Executor == nil:
		return nil, errors.New("agent: no code executor")
	}
	if err := cfg.Budget.Check(); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if cfg.ResultLimit <= 0 {
		cfg.ResultLimit = DefaultResultLimit
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Events == nil {
		cfg.Events = func(Event) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	il, err := openInteractionLog(cfg.Session.InteractionsPath())
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return &Agent{
		cfg:          cfg,
		system:       SystemPrompt(cfg.Session.Sandbox, cfg.ToolsOverview),
		interactions: il,
		logged:       len(cfg.Session.Messages()),
	}, nil
}

// Close closes the interaction log. The session stays open.
func (a *Agent) Close() error { return a.interactions.close() }

// Budget returns the session's limits.
func (a *Agent) Budget() Budget { return a.cfg.Budget }

// Spent returns what the session has used.
func (a *Agent) Spent() Spent { return a.cfg.Session.Spent() }

// StopKind says how a turn ended.
type StopKind int

// Ways a turn ends without an error.
const (
	// StopDone: the model finished its answer.
	StopDone StopKind = iota
	// StopBudget: a budget dimension reached its limit (Result.Dimension).
	StopBudget
	// StopLoop: the same code gave the same result loopLimit times in a row.
	StopLoop
	// StopLength: the model's answer hit the output-token limit.
	StopLength
)

func (k StopKind) String() string {
	switch k {
	case StopDone:
		return "done"
	case StopBudget:
		return "budget"
	case StopLoop:
		return "loop"
	case StopLength:
		return "length"
	}
	return fmt.Sprintf("StopKind(%d)", int(k))
}

// Result is how a turn ended.
type Result struct {
	Stop      StopKind
	Dimension Dimension // the exhausted dimension, for StopBudget
	// Text is the model's text in its last answer (untrusted).
	Text string
}

// Turn gives the model the user's input and runs its code until it
// answers without asking for code, a budget is exhausted or it loops. The
// conversation is saved as it goes, so an error or a crash leaves a
// transcript that --resume can continue. An error means the model or the
// executor failed (or ctx ended); the transcript stays well formed.
func (a *Agent) Turn(ctx context.Context, input string) (Result, error) {
	t := &turn{a: a, last: a.cfg.Clock()}
	if dim, ok := t.exhausted(); ok {
		return t.budgetStop(dim), nil
	}
	if strings.TrimSpace(input) == "" {
		return Result{}, errors.New("agent: empty input")
	}
	if err := a.addUserText(input); err != nil {
		return Result{}, err
	}
	return t.run(ctx)
}

// addUserText appends the user's input (AppendMessage joins it to a last
// message of tool results).
func (a *Agent) addUserText(input string) error {
	return a.cfg.Session.AppendMessage(Message{Role: RoleUser, Parts: []Part{{Type: PartText, Text: input}}})
}

// turn is the state of one Turn.
type turn struct {
	a    *Agent
	last time.Time // when wall-clock time was last charged
	loop loopDetector
}

// tick charges the wall-clock time since the last tick.
func (t *turn) tick() error {
	now := t.a.cfg.Clock()
	d := now.Sub(t.last)
	t.last = now
	if d <= 0 {
		return nil
	}
	return t.a.cfg.Session.update(func(sp *Spent, _ map[Dimension]bool) { sp.WallClock += d })
}

func (t *turn) exhausted() (Dimension, bool) {
	return Exhausted(t.a.cfg.Budget, t.a.cfg.Session.Spent())
}

func (t *turn) budgetStop(dim Dimension) Result {
	b, s := t.a.cfg.Budget, t.a.cfg.Session.Spent()
	t.a.cfg.Events(Event{Kind: EventStop, Dimension: dim,
		Text: fmt.Sprintf("stopped: the session's %s budget is used up (%s)", dim, FormatDimension(b, s, dim))})
	return Result{Stop: StopBudget, Dimension: dim}
}

// warnings gives the one warning per dimension that crossed 80%, to the
// person (events) and to the model (the returned notes).
func (t *turn) warnings() ([]string, error) {
	var crossed []Dimension
	err := t.a.cfg.Session.update(func(sp *Spent, warned map[Dimension]bool) {
		crossed = crossedWarning(t.a.cfg.Budget, *sp, warned)
		for _, d := range crossed {
			warned[d] = true
		}
	})
	var notes []string
	b, s := t.a.cfg.Budget, t.a.cfg.Session.Spent()
	for _, d := range crossed {
		msg := fmt.Sprintf("the session's %s budget is 80%% used: %s", d, FormatDimension(b, s, d))
		t.a.cfg.Events(Event{Kind: EventWarning, Dimension: d, Text: msg})
		notes = append(notes, "IronCurtain: "+msg+". Finish the task soon or summarize where you are; at 100% the session stops.")
	}
	return notes, err
}

func (t *turn) run(ctx context.Context) (Result, error) {
	a := t.a
	for {
		if err := t.tick(); err != nil {
			return Result{}, err
		}
		if dim, ok := t.exhausted(); ok {
			return t.budgetStop(dim), nil
		}
		resp, err := a.complete(ctx)
		if terr := t.tick(); err == nil {
			err = terr
		}
		if err != nil {
			return Result{}, err
		}
		parts := resp.Parts
		if len(parts) == 0 {
			parts = []Part{{Type: PartText, Text: "(no answer)"}}
		}
		if err := a.cfg.Session.AppendMessage(Message{Role: RoleAssistant, Parts: parts}); err != nil {
			return Result{}, err
		}
		notes, err := t.warnings()
		if err != nil {
			return Result{}, err
		}
		text := answerText(parts)
		var uses []Part
		for _, p := range parts {
			if p.Type == PartToolUse {
				uses = append(uses, p)
			}
		}
		if len(uses) == 0 {
			if resp.StopReason == StopMaxTokens {
				a.cfg.Events(Event{Kind: EventStop, Text: "stopped: the model's answer reached the output-token limit"})
				return Result{Stop: StopLength, Text: text}, nil
			}
			return Result{Stop: StopDone, Text: text}, nil
		}
		results, stop, err := t.runTools(ctx, uses)
		for _, n := range notes {
			results = append(results, Part{Type: PartText, Text: n})
		}
		if aerr := a.cfg.Session.AppendMessage(Message{Role: RoleUser, Parts: results}); err == nil {
			err = aerr
		}
		if err != nil {
			return Result{}, err
		}
		if stop != nil {
			stop.Text = text
			return *stop, nil
		}
	}
}

// runTools answers every tool_use of one model answer, in order. Once the
// turn must stop (budget, loop, an executor failure), the remaining ones
// are answered "not run" so the conversation stays well formed.
func (t *turn) runTools(ctx context.Context, uses []Part) ([]Part, *Result, error) {
	a := t.a
	var results []Part
	var stop *Result
	var failure error
	for _, u := range uses {
		res := Part{Type: PartToolResult, ToolResultID: u.ToolUseID}
		switch {
		case failure != nil:
			res.IsError, res.Content = true, "Not run: the code runner failed."
		case stop != nil && stop.Stop == StopLoop:
			res.IsError, res.Content = true, "Not run: this turn was stopped because the same code kept giving the same result."
		case stop != nil:
			res.IsError, res.Content = true, fmt.Sprintf("Not run: the session's %s budget is used up.", stop.Dimension)
		default:
			if dim, ok := t.exhausted(); ok {
				r := t.budgetStop(dim)
				stop = &r
				res.IsError, res.Content = true, fmt.Sprintf("Not run: the session's %s budget is used up. Stop here and summarize for the user.", dim)
				break
			}
			code, problem := codeArg(u)
			if problem != "" {
				res.IsError, res.Content = true, problem
				break
			}
			a.cfg.Events(Event{Kind: EventCode, Text: code})
			ex, err := a.cfg.Executor.Execute(ctx, code)
			if terr := t.tick(); err == nil && terr != nil {
				err = terr
			}
			if err != nil {
				failure = fmt.Errorf("execute_code: %w", err)
				res.IsError, res.Content = true, "Not run: the code runner failed."
				break
			}
			text, denied := FormatExecution(ex, a.cfg.ResultLimit)
			res.Content, res.IsError = text, ex.Error != "" || denied
			a.cfg.Events(Event{Kind: EventResult, Text: text, Execution: &ex})
			if t.loop.observe(code, text) {
				res.Content += fmt.Sprintf("\nIronCurtain: this is the %d. time in a row that this code gave this result. The turn is stopped; tell the user what you were trying to do and what went wrong instead of running it again.", loopLimit)
				a.cfg.Events(Event{Kind: EventStop, Text: fmt.Sprintf("stopped: the model ran the same code with the same result %d times in a row", loopLimit)})
				stop = &Result{Stop: StopLoop}
			}
		}
		results = append(results, res)
	}
	return results, stop, failure
}

// codeArg extracts execute_code's code; problem, if not empty, is what
// the model is told instead.
func codeArg(u Part) (code, problem string) {
	if u.ToolName != ToolName {
		return "", fmt.Sprintf("Unknown tool %q: the only tool is %s.", u.ToolName, ToolName)
	}
	var in struct {
		Code *string `json:"code"`
	}
	dec := json.NewDecoder(bytes.NewReader(u.Input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Code == nil || dec.More() {
		return "", fmt.Sprintf("Invalid input for %s: want {\"code\": \"...\"}.", ToolName)
	}
	if strings.TrimSpace(*in.Code) == "" {
		return "", fmt.Sprintf("Invalid input for %s: the code is empty.", ToolName)
	}
	return *in.Code, ""
}

func answerText(parts []Part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}
