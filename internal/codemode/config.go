package codemode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/codemode/jsworker"
	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// ToolFunc performs one tool call the script made. It is called from the
// goroutine running Exec, one call at a time, with a context that ends at
// the execution's wall clock. It must fill exactly one of Content (the MCP
// result's content array, as JSON), Denied or Error, and set IsError when
// the tool reported a failure; a refused escalation is Denied. The ID is
// set by Exec. A result that breaks these rules, is not valid UTF-8 or is
// too large for the pipe reaches the script as an error instead.
type ToolFunc func(ctx context.Context, server, tool string, args json.RawMessage) runnerproto.ToolResult

// Config says how to run code. WorkerPath, Call and the tools are
// required; zero limits take the defaults.
type Config struct {
	// WorkerPath is the absolute path of the binary to re-execute, usually
	// os.Executable(), and WorkerArgs the arguments after the program name
	// (the hidden subcommand that locks the process down and calls
	// jsworker.Run on stdin and stdout).
	WorkerPath string
	WorkerArgs []string

	// Tools are what the script may call: one namespace per server.
	Tools []runnerproto.ToolSpec
	// Call performs each tool call; see ToolFunc.
	Call ToolFunc

	// Limits bound one execution: 128 MiB of VM memory, 60 s of wall
	// clock, a 1 MB result, 1000 tool calls and 1 MB of console output
	// unless set. The wall clock includes the time tool calls take,
	// escalations waiting for a person among them.
	Limits runnerproto.Limits

	// Spawn starts the worker; nil means Caged(), the real cage. Only
	// tests and diagnostics should pass InsecureUncaged().
	Spawn Spawner

	// Log receives one record per execution that ended badly for a reason
	// other than the script (a killed or crashed worker); nil discards.
	Log *slog.Logger
}

// Kinds of Result. The empty kind is success.
const (
	KindException = jsworker.KindException // the script threw
	KindOOM       = jsworker.KindOOM       // the VM's memory limit
	KindTimeout   = jsworker.KindTimeout   // the wall clock, inside the VM or by kill
	KindLimit     = jsworker.KindLimit     // result, tool-call or code-size limit
	KindSyntax    = jsworker.KindSyntax    // the code does not compile
	KindKilled    = "killed"               // the worker misbehaved, crashed or was cancelled
)

// Result is what one execution did.
type Result struct {
	Value    json.RawMessage // the returned value as JSON; nil when the script returned nothing or failed
	Console  []runnerproto.ConsoleLine
	Calls    []CallRecord
	Error    string // one line; empty on success
	Kind     string // "" or one of the Kind constants
	Duration time.Duration
}

// CallRecord is one tool call the script made, in order.
type CallRecord struct {
	Server, Tool string
	Args         json.RawMessage
	Outcome      string // "ok", "denied" or "error"
	Detail       string // the denial reason or error, one line; empty for ok
}

// Call outcomes.
const (
	OutcomeOK     = "ok"
	OutcomeDenied = "denied"
	OutcomeError  = "error"
)

// DefaultLimits returns the limits a zero Config.Limits field takes.
func DefaultLimits() runnerproto.Limits { return jsworker.DefaultLimits() }

// envelope is room left in a message for everything but the result and
// the console text.
const envelope = 64 << 10

// prepare checks cfg and fills in the defaults. Its errors are the
// caller's mistakes, not the script's.
func (cfg Config) prepare() (Config, error) {
	switch {
	case cfg.WorkerPath == "" || !filepath.IsAbs(cfg.WorkerPath):
		return cfg, fmt.Errorf("codemode: worker path %q is not absolute", cfg.WorkerPath)
	case cfg.Call == nil:
		return cfg, errors.New("codemode: no ToolFunc to perform tool calls")
	}
	if err := jsworker.CheckTools(cfg.Tools); err != nil {
		return cfg, fmt.Errorf("codemode: tools: %w", err)
	}
	l := cfg.Limits
	if l.MemoryBytes < 0 || l.TimeoutMillis < 0 || l.MaxResult < 0 || l.MaxToolCalls < 0 || l.MaxConsole < 0 {
		return cfg, fmt.Errorf("codemode: negative limit in %+v", l)
	}
	d := DefaultLimits()
	if l.MemoryBytes == 0 {
		l.MemoryBytes = d.MemoryBytes
	}
	if l.TimeoutMillis == 0 {
		l.TimeoutMillis = d.TimeoutMillis
	}
	if l.MaxResult == 0 {
		l.MaxResult = d.MaxResult
	}
	if l.MaxToolCalls == 0 {
		l.MaxToolCalls = d.MaxToolCalls
	}
	if l.MaxConsole == 0 {
		l.MaxConsole = d.MaxConsole
	}
	if l.MaxResult+l.MaxConsole > runnerproto.MaxMessageSize-envelope {
		return cfg, fmt.Errorf("codemode: result (%d) and console (%d) limits together exceed what one message carries (%d)",
			l.MaxResult, l.MaxConsole, runnerproto.MaxMessageSize-envelope)
	}
	if l.MemoryBytes < 1<<20 {
		return cfg, fmt.Errorf("codemode: memory limit of %d bytes is below 1 MiB", l.MemoryBytes)
	}
	cfg.Limits = l
	if cfg.Spawn == nil {
		cfg.Spawn = Caged()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

func (cfg Config) timeout() time.Duration {
	return time.Duration(cfg.Limits.TimeoutMillis) * time.Millisecond
}

// grace is how long past the script's own timeout the parent waits before
// it kills the worker: the worker stops a running script within
// milliseconds, and needs a little more to start and to report.
func grace(timeout time.Duration) time.Duration {
	return 250*time.Millisecond + timeout/20
}

// Help is the text help(topic) prints inside the VM for these tools.
func Help(tools []runnerproto.ToolSpec, topic string) string { return jsworker.Help(tools, topic) }

// Signature is the TypeScript declaration of a tool as the VM exposes it,
// for example `filesystem.read_file(args: { path: string; head?: number;
// tail?: number }): Promise<string>`.
func Signature(spec runnerproto.ToolSpec) string { return jsworker.Signature(spec) }
