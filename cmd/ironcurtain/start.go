package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/agent"
	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/codemode"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/gateway"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// defaultModel is the model `start` talks to without -m: a capable
// coding model at a moderate price.
const defaultModel = "anthropic:claude-sonnet-4-5"

// startOptions are what tests replace; the zero value is production.
type startOptions struct {
	// executor builds the code runner of a session from its configuration;
	// nil means the caged code runner (codemode.Exec).
	executor func(cfg codemode.Config) (agent.Executor, error)
}

type startFlags struct {
	model, resume, workspace string
	budget                   agent.Budget
	escTimeout               time.Duration
	verbose                  bool
}

func newStartCmd(e env) *cobra.Command { return newStartCmdWith(e, startOptions{}) }

func newStartCmdWith(e env, opts startOptions) *cobra.Command {
	var f startFlags
	def := agent.DefaultBudget()
	cmd := &cobra.Command{
		Use:   "start [TASK]",
		Short: "Run the builtin agent: one task, or an interactive session",
		Long: "Run the builtin agent. With TASK it works on that task and exits; without, it reads\n" +
			"tasks and commands (/approve N, /approve+ N, /deny N, /budget, /logs, /quit) from standard\n" +
			"input. The model answers only with code, which runs in a cage; every tool call it makes passes\n" +
			"the policy, escalation and the audit log of the gateway.\n\n" +
			"Each session lives in <home>/sessions/<id>/: its sandbox (unless -w), audit.jsonl,\n" +
			"escalations/, transcript.jsonl and interactions.jsonl. --resume ID continues one.\n" +
			"Budgets cover the whole session, across resumes; 0 means no limit. The default model is\n" +
			defaultModel + "; keys come from ANTHROPIC_API_KEY or OPENAI_API_KEY, endpoints from\n" +
			"ANTHROPIC_BASE_URL or OPENAI_BASE_URL.\n\n" +
			"Exit status: 0 the agent finished, 1 it stopped early (budget, loop) or failed, 2 bad usage.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			task := ""
			if len(args) == 1 {
				if task = strings.TrimSpace(args[0]); task == "" {
					return usageErr("TASK is empty")
				}
			}
			if !cmd.Flags().Changed("escalation-timeout") {
				f.escTimeout = 0 // config.json, else the broker's default
			}
			return runStart(cmd.Context(), e, opts, &f, task, cmd.Flags().Changed("model"))
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.model, "model", "m", defaultModel, "model as provider:model (anthropic, openai or openai-compatible)")
	fl.StringVar(&f.resume, "resume", "", "continue session ID")
	fl.StringVarP(&f.workspace, "workspace", "w", "", "use this existing directory as the sandbox instead of the session's own")
	fl.IntVar(&f.budget.Steps, "max-steps", def.Steps, "model calls per session")
	fl.Int64Var(&f.budget.Tokens, "max-tokens", def.Tokens, "input plus output tokens per session")
	fl.Float64Var(&f.budget.CostUSD, "max-cost", def.CostUSD, "estimated cost per session, in US dollars")
	fl.DurationVar(&f.budget.WallClock, "max-time", def.WallClock, "time spent working per session")
	fl.DurationVar(&f.escTimeout, "escalation-timeout", escalate.DefaultTimeout, "deny an approval nobody answered within this time (5s..1h; config.json escalationTimeoutSeconds)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "show the code the agent runs and its full results")
	return cmd
}

func runStart(ctx context.Context, e env, opts startOptions, f *startFlags, task string, modelSet bool) error {
	if err := f.budget.Check(); err != nil {
		return usageErr("budget: %v", err)
	}
	if f.resume != "" && f.workspace != "" {
		return usageErr("--resume and -w are exclusive: a resumed session keeps its sandbox")
	}
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return badInput(err)
	}
	settings, err := config.LoadSettings(layout.Config)
	if err != nil {
		return badInput(err)
	}
	if f.escTimeout == 0 {
		f.escTimeout = settings.EscalationTimeout
	}
	if f.escTimeout != 0 && (f.escTimeout < escalate.MinTimeout || f.escTimeout > escalate.MaxTimeout) {
		return usageErr("--escalation-timeout %v is outside %v..%v", f.escTimeout, escalate.MinTimeout, escalate.MaxTimeout)
	}

	// The model first: a missing key must not leave an empty session behind.
	var sess *agent.Session
	spec := f.model
	if f.resume != "" {
		if sess, err = agent.Open(layout.Home, f.resume); err != nil {
			return badInput(err)
		}
		defer sess.Close()
		if !modelSet && sess.Model != "" {
			spec = sess.Model
		}
	}
	provider, err := llm.New(spec, llm.Config{Getenv: e.getenv, ConfigPath: layout.Config, Keys: settings.Keys, BaseURLs: settings.BaseURLs})
	if err != nil {
		return badInput(err) // ErrNoKey included: its message names the variable to set
	}
	if sess == nil {
		if sess, err = agent.Create(layout.Home, agent.CreateOptions{Model: spec, Workspace: f.workspace}); err != nil {
			return badInput(err)
		}
		defer sess.Close()
	}
	fmt.Fprintf(e.stderr, "ironcurtain: session %s (resume with --resume %s), sandbox %s\n", sess.ID, sess.ID, sess.Sandbox)

	l, err := loadEngine(e, &policyFlags{sandbox: sess.Sandbox})
	if err != nil {
		return err
	}
	warn(e, l)
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	servers := l.servers
	if servers == nil {
		if servers, err = bundledServers(sess.Sandbox); err != nil {
			return err
		}
	}
	alog, err := audit.Open(sess.AuditPath())
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer alog.Close()

	interactive := task == ""
	out := agent.LockedWriter(e.stdout)
	esc := agent.SessionEscalations{Home: layout.Home, SessionID: sess.ID, By: "ironcurtain start (uid " + fmt.Sprint(os.Getuid()) + ")"}
	var prompter escalate.Prompter
	switch {
	case interactive:
		// The REPL owns standard input: requests are announced and answered
		// with /approve N, or from another terminal.
		prompter = &agent.Announcer{Out: out, Escalations: esc}
	case isTerminal(e.stdin):
		prompter = &escalate.TerminalPrompter{In: e.stdin, Out: e.stderr}
	}
	broker, err := escalate.New(escalate.Config{Home: layout.Home, SessionID: sess.ID, Timeout: f.escTimeout, Prompter: prompter, Log: logger})
	if err != nil {
		return badInput(err)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	mgr, err := gateway.StartServers(ctx, gateway.ManagerConfig{Servers: servers, Getenv: e.getenv, Logger: logger, Roots: []string{sess.Sandbox}})
	if err != nil {
		return err
	}
	defer mgr.Close()
	gw, err := gateway.New(gateway.Config{Servers: mgr, Engine: l.engine, Audit: alog, Approver: broker,
		SessionID: sess.ID, ResultLimit: settings.ResultLimit, Logger: logger})
	if err != nil {
		return err
	}
	tools := toolSpecs(mgr.Tools(), l.engine)
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	newExec := opts.executor
	if newExec == nil {
		newExec = func(cfg codemode.Config) (agent.Executor, error) { return codeExecutor{cfg}, nil }
	}
	exec, err := newExec(codemode.Config{
		WorkerPath: self,
		WorkerArgs: []string{workerCommand},
		Tools:      tools,
		Call:       gatewayToolFunc(gw),
		Limits:     runnerproto.Limits{TimeoutMillis: scriptTimeout(f.escTimeout).Milliseconds()},
		Log:        logger,
	})
	if err != nil {
		return err
	}

	events := agent.PrintEvents(out, f.verbose)
	notices := agent.PrintEvents(e.stderr, f.verbose)
	if interactive {
		notices = events
	}
	a, err := agent.New(agent.Config{
		Session:       sess,
		Provider:      agent.FromLLM(provider),
		Executor:      exec,
		Budget:        f.budget,
		ToolsOverview: codemode.Help(tools, ""),
		Cost:          agent.LLMCost,
		Events: func(ev agent.Event) {
			if ev.Kind == agent.EventWarning || ev.Kind == agent.EventStop {
				notices(ev)
				return
			}
			events(ev)
		},
		Logger: logger,
	})
	if err != nil {
		return err
	}
	defer a.Close()

	if interactive {
		err := agent.RunREPL(ctx, agent.REPLConfig{In: e.stdin, Out: out, Agent: a, Escalations: esc,
			Logs: func(w io.Writer) error { return agent.WriteAuditTail(w, sess.AuditPath(), 20) }})
		if err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	}
	res, err := a.Turn(ctx, task)
	fmt.Fprintln(out)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if res.Stop != agent.StopDone {
		return &exitError{code: 1, err: fmt.Errorf("the agent stopped early (%s); continue with --resume %s", res.Stop, sess.ID)}
	}
	return nil
}

// visibleTools is the policy's view of which tools can ever run.
type visibleTools interface {
	MayPermit(server, tool string) bool
}

// toolSpecs lists the tools the code may call: those the policy could ever
// allow or escalate (the rest would only be denied, and offering them
// invites the model to try).
func toolSpecs(ts []*gateway.Tool, v visibleTools) []runnerproto.ToolSpec {
	var out []runnerproto.ToolSpec
	for _, t := range ts {
		if v != nil && !v.MayPermit(t.Server, t.Tool.Name) {
			continue
		}
		schema, err := json.Marshal(t.Tool.InputSchema)
		if err != nil {
			continue
		}
		out = append(out, runnerproto.ToolSpec{Server: t.Server, Name: t.Tool.Name, Description: t.Tool.Description, InputSchema: schema})
	}
	return out
}

// scriptTimeout is one execution's wall clock. A tool call waiting for a
// person counts against it, so it must outlast the escalation timeout:
// otherwise a script would be killed while the person is still reading
// the request.
func scriptTimeout(escTimeout time.Duration) time.Duration {
	if escTimeout == 0 {
		escTimeout = escalate.DefaultTimeout
	}
	def := time.Duration(codemode.DefaultLimits().TimeoutMillis) * time.Millisecond
	return max(def, escTimeout+30*time.Second)
}

// codeExecutor runs execute_code in the caged code runner.
type codeExecutor struct{ cfg codemode.Config }

func (c codeExecutor) Execute(ctx context.Context, code string) (agent.Execution, error) {
	res, err := codemode.Exec(ctx, c.cfg, code)
	if err != nil {
		return agent.Execution{}, err
	}
	ex := agent.Execution{Value: res.Value, Console: res.Console, Error: res.Error, Kind: res.Kind, Duration: res.Duration}
	for _, r := range res.Calls {
		ex.Calls = append(ex.Calls, agent.ToolCall(r))
	}
	return ex, nil
}

// gatewayToolFunc is the only path from the code runner to a tool: the
// gateway's pipeline (validate, policy, escalate, forward, audit).
func gatewayToolFunc(gw *gateway.Gateway) codemode.ToolFunc {
	return func(ctx context.Context, server, tool string, args json.RawMessage) runnerproto.ToolResult {
		res, err := gw.Call(ctx, server, tool, args)
		if err != nil {
			// The audit log failed or ctx ended: the call did not happen.
			return runnerproto.ToolResult{Error: "the call could not be made: " + err.Error()}
		}
		text := firstTextOf(res)
		if res.IsError && strings.HasPrefix(text, "DENIED: ") {
			return runnerproto.ToolResult{Denied: strings.TrimPrefix(text, "DENIED: ")}
		}
		content, err := json.Marshal(res.Content)
		if err != nil {
			return runnerproto.ToolResult{Error: "the result could not be encoded: " + err.Error()}
		}
		return runnerproto.ToolResult{Content: content, IsError: res.IsError}
	}
}

func firstTextOf(r *mcp.CallToolResult) string {
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return ""
}
