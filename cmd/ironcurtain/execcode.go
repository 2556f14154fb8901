package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/codemode"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/gateway"
	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// maxCodeSize bounds a script read from a file or standard input.
const maxCodeSize = 1 << 20

func newExecCodeCmd(e env) *cobra.Command {
	var f policyFlags
	var inline string
	var timeout time.Duration
	var memory, maxResult string
	cmd := &cobra.Command{
		Use:   "exec-code [FILE | -] [-e CODE]",
		Short: "Run agent-style TypeScript in the sandbox under the policy and print what happened",
		Long: "Run a script the way the builtin agent's code runs: TypeScript, in a fresh JS VM inside a\n" +
			"locked-down worker process, whose only way out is tool calls (filesystem.read_file({...}),\n" +
			"git.status({...}), help()) through the policy, escalation and audit log. Prints the returned\n" +
			"value, console output and every tool call with its decision.\n" +
			"Exit status: 0 the script returned, 1 it threw, was killed or ran out of memory, 2 bad usage.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := readCode(e, inline, args)
			if err != nil {
				return err
			}
			memBytes, err := parseSize(memory)
			if err != nil {
				return usageErr("--memory-limit %q: %v", memory, err)
			}
			resultBytes, err := parseSize(maxResult)
			if err != nil || resultBytes > 64<<20 {
				return usageErr("--max-result %q: want a size from 1MiB to 64MiB", maxResult)
			}
			if timeout < 100*time.Millisecond || timeout > time.Hour {
				return usageErr("--timeout %v is outside 100ms..1h", timeout)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// A tool call waiting for a person counts against the script's
			// wall clock, so nobody may be asked for longer than the script
			// may run.
			rt, err := startRuntime(ctx, e, &f, "exec", timeout)
			if err != nil {
				return err
			}
			defer rt.Close()
			res, err := codemode.Exec(ctx, rt.codeConfig(runnerproto.Limits{MemoryBytes: memBytes, TimeoutMillis: timeout.Milliseconds(), MaxResult: int(resultBytes)}), code)
			if err != nil {
				return fmt.Errorf("code runner: %w", err)
			}
			if f.jsonOut {
				if err := writeExecJSON(e.stdout, res); err != nil {
					return err
				}
			} else if err := writeExecText(e.stdout, res); err != nil {
				return err
			}
			if res.Error != "" {
				kind := res.Kind
				if kind == "" {
					kind = "error"
				}
				return &exitError{code: 1, err: fmt.Errorf("script %s: %s", kind, res.Error)}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&inline, "eval", "e", "", "the code to run, instead of FILE")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "wall-clock limit; the worker is killed when it passes")
	cmd.Flags().StringVar(&memory, "memory-limit", "128MiB", "JS heap limit (e.g. 64MiB, 1GiB)")
	cmd.Flags().StringVar(&maxResult, "max-result", "1MiB", "largest returned value, as JSON (1MiB..64MiB)")
	return cmd
}

func readCode(e env, inline string, args []string) (string, error) {
	switch {
	case inline != "" && len(args) > 0:
		return "", usageErr("give the code as FILE or with -e, not both")
	case inline != "":
		if !utf8.ValidString(inline) {
			return "", badInput(fmt.Errorf("-e: invalid UTF-8 at byte %d", invalidAt([]byte(inline))))
		}
		return inline, nil
	case len(args) == 0:
		return "", usageErr("no code: give FILE, - for standard input, or -e CODE")
	}
	var r io.Reader
	name := args[0]
	if name == "-" {
		r = e.stdin
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return "", badInput(err)
		}
		defer fh.Close()
		r = fh
	}
	data, err := io.ReadAll(io.LimitReader(r, maxCodeSize+1))
	if err != nil {
		return "", badInput(err) // *PathError already names the file
	}
	if len(data) > maxCodeSize {
		return "", badInput(fmt.Errorf("%s: more than %d bytes of code", name, maxCodeSize))
	}
	if !utf8.Valid(data) {
		return "", badInput(fmt.Errorf("%s: invalid UTF-8 at byte %d", name, invalidAt(data)))
	}
	return string(data), nil
}

func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// parseSize reads "128MiB", "64MB", "1GiB", "1048576".
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	mult := int64(1)
	s = strings.TrimSpace(s)
	for _, u := range units {
		if len(s) > len(u.suffix) && strings.EqualFold(s[len(s)-len(u.suffix):], u.suffix) {
			s, mult = s[:len(s)-len(u.suffix)], u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive size such as 128MiB")
	}
	if n > (64<<30)/mult {
		return 0, errors.New("larger than 64GiB")
	}
	if n*mult < 1<<20 {
		return 0, errors.New("smaller than 1MiB")
	}
	return n * mult, nil
}

// runtime is a gateway with its servers, audit log and escalation broker,
// ready to serve a code runner's tool calls.
type runtime struct {
	gw       *gateway.Gateway
	mgr      *gateway.Manager
	log      *audit.Log
	tools    []runnerproto.ToolSpec
	sandbox  string
	self     string
	closeFns []func()
}

// startRuntime builds the trusted side for one session named kind-<id>.
// maxAsk, if positive, caps how long an escalation waits.
func startRuntime(ctx context.Context, e env, f *policyFlags, kind string, maxAsk time.Duration) (*runtime, error) {
	l, err := loadEngine(e, f)
	if err != nil {
		return nil, err
	}
	warn(e, l)
	for _, d := range []string{l.layout.Home, l.layout.Sandbox} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	servers := l.servers
	if servers == nil {
		if servers, err = bundledServers(l.layout.Sandbox); err != nil {
			return nil, err
		}
	}
	session := kind + "-" + randomID()
	dir := filepath.Join(l.layout.Home, "sessions", session)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("session directory: %w", err)
	}
	rt := &runtime{sandbox: l.layout.Sandbox, self: self}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if rt.log, err = audit.Open(filepath.Join(dir, "audit.jsonl")); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	rt.closeFns = append(rt.closeFns, func() { rt.log.Close() })
	var prompter escalate.Prompter
	if isTerminal(e.stdin) {
		prompter = &escalate.TerminalPrompter{In: e.stdin, Out: e.stderr}
	}
	askFor, err := loadSettingsOrDefault(l)
	if err != nil {
		rt.Close()
		return nil, badInput(err)
	}
	if maxAsk > 0 && askFor > maxAsk {
		askFor = max(maxAsk, escalate.MinTimeout)
	}
	broker, err := escalate.New(escalate.Config{Home: l.layout.Home, SessionID: session, Timeout: askFor, Prompter: prompter, Log: logger})
	if err != nil {
		rt.Close()
		return nil, badInput(err)
	}
	if rt.mgr, err = gateway.StartServers(ctx, gateway.ManagerConfig{Servers: servers, Getenv: e.getenv, Logger: logger, Roots: []string{l.layout.Sandbox}}); err != nil {
		rt.Close()
		return nil, err
	}
	rt.closeFns = append(rt.closeFns, func() { rt.mgr.Close() })
	if rt.gw, err = gateway.New(gateway.Config{Servers: rt.mgr, Engine: l.engine, Audit: rt.log, Approver: broker, SessionID: session, Logger: logger}); err != nil {
		rt.Close()
		return nil, err
	}
	for _, t := range rt.mgr.Tools() {
		if !l.engine.MayPermit(t.Server, t.Tool.Name) {
			continue
		}
		schema, _ := json.Marshal(t.Tool.InputSchema)
		rt.tools = append(rt.tools, runnerproto.ToolSpec{Server: t.Server, Name: t.Tool.Name, Description: t.Tool.Description, InputSchema: schema})
	}
	return rt, nil
}

func loadSettingsOrDefault(l *loaded) (time.Duration, error) {
	s, err := configLoadSettings(l.layout.Config)
	if err != nil || s == 0 {
		return escalate.DefaultTimeout, err
	}
	return s, nil
}

func (rt *runtime) Close() {
	for i := len(rt.closeFns) - 1; i >= 0; i-- {
		rt.closeFns[i]()
	}
}

// codeConfig wires the code runner to the gateway.
func (rt *runtime) codeConfig(lim runnerproto.Limits) codemode.Config {
	return codemode.Config{
		WorkerPath: rt.self,
		WorkerArgs: []string{workerCommand},
		Tools:      rt.tools,
		Call:       rt.call,
		Limits:     lim,
	}
}

// call runs one tool call of the script through the gateway pipeline.
func (rt *runtime) call(ctx context.Context, server, tool string, args json.RawMessage) runnerproto.ToolResult {
	res, err := rt.gw.Call(ctx, server, tool, args)
	if err != nil {
		return runnerproto.ToolResult{Error: err.Error()}
	}
	text := resultText(res)
	if res.IsError {
		if reason, ok := strings.CutPrefix(text, "DENIED: "); ok {
			return runnerproto.ToolResult{Denied: reason}
		}
	}
	content, err := json.Marshal(res.Content)
	if err != nil {
		return runnerproto.ToolResult{Error: "tool result could not be encoded"}
	}
	return runnerproto.ToolResult{Content: content, IsError: res.IsError}
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func writeExecText(w io.Writer, res codemode.Result) error {
	ew := &errWriterCmd{w: w}
	if len(res.Calls) > 0 {
		fmt.Fprintln(ew, "tool calls:")
		for _, c := range res.Calls {
			line := fmt.Sprintf("  %-7s %s.%s %s", strings.ToUpper(c.Outcome), c.Server, c.Tool, oneLine(truncateMid(string(c.Args), 160)))
			if c.Detail != "" {
				line += " — " + oneLine(truncateMid(c.Detail, 200))
			}
			fmt.Fprintln(ew, line)
		}
	}
	if len(res.Console) > 0 {
		fmt.Fprintln(ew, "console:")
		for _, c := range res.Console {
			for _, l := range strings.Split(c.Text, "\n") {
				fmt.Fprintf(ew, "  [%s] %s\n", c.Level, oneLine(l))
			}
		}
	}
	if res.Error == "" {
		fmt.Fprintln(ew, "result:")
		v := string(res.Value)
		if v == "" {
			v = "undefined"
		}
		fmt.Fprintln(ew, "  "+oneLine(v))
	}
	return ew.err
}

func writeExecJSON(w io.Writer, res codemode.Result) error {
	type call struct {
		Server  string          `json:"server"`
		Tool    string          `json:"tool"`
		Args    json.RawMessage `json:"args"`
		Outcome string          `json:"outcome"`
		Detail  string          `json:"detail,omitempty"`
	}
	calls := make([]call, 0, len(res.Calls))
	for _, c := range res.Calls {
		calls = append(calls, call{c.Server, c.Tool, c.Args, c.Outcome, c.Detail})
	}
	out := struct {
		Value   json.RawMessage           `json:"value"`
		Console []runnerproto.ConsoleLine `json:"console"`
		Calls   []call                    `json:"calls"`
		Error   string                    `json:"error"`
		Kind    string                    `json:"kind"`
		Millis  int64                     `json:"durationMs"`
	}{res.Value, res.Console, calls, res.Error, res.Kind, res.Duration.Milliseconds()}
	if out.Value == nil {
		out.Value = json.RawMessage("null")
	}
	if out.Console == nil {
		out.Console = []runnerproto.ConsoleLine{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func truncateMid(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n/2] + "…" + s[len(s)-n/2:]
}

type errWriterCmd struct {
	w   io.Writer
	err error
}

func (e *errWriterCmd) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// configLoadSettings returns the configured escalation timeout, or 0.
func configLoadSettings(path string) (time.Duration, error) {
	s, err := config.LoadSettings(path)
	return s.EscalationTimeout, err
}
