package agent

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// Executor runs the code of one execute_code call in the cage. Every tool
// call the code makes must pass the gateway (policy, escalation, audit)
// before Execute returns. An error means the code could not be run at
// all (the worker did not start, the audit log failed): the turn ends
// with it. A script that threw, timed out or ran out of memory is not an
// error: it is an Execution with Error set.
type Executor interface {
	Execute(ctx context.Context, code string) (Execution, error)
}

// Execution is what one run of the agent's code produced. Everything in it
// came from the cage or from tool results and is untrusted text.
type Execution struct {
	Value    json.RawMessage // the script's result as JSON; empty for undefined
	Console  []runnerproto.ConsoleLine
	Calls    []ToolCall
	Error    string // one line; empty on success
	Kind     string // "exception", "oom", "timeout", "limit", "syntax", ...
	Duration time.Duration
}

// Outcomes of a tool call, as the model is told them.
const (
	OutcomeOK     = "ok"     // the tool ran and succeeded
	OutcomeError  = "error"  // the tool ran and reported an error, or the call failed
	OutcomeDenied = "denied" // the policy or a person refused it
)

// ToolCall is one tool call the code made, with its fate.
type ToolCall struct {
	Server, Tool string
	Args         json.RawMessage
	Outcome      string // one of the Outcome constants
	// Detail is the denial reason or error text; empty on success.
	Detail string
}
