package codemode

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/codemode/jsworker"
	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// spawners are the ways tests start the real worker: uncaged, and behind
// the real cage with the worker's lockdown when this machine allows it.
func spawners(t *testing.T) map[string]Config {
	t.Helper()
	out := map[string]Config{"uncaged": self(t, modeWorker)}
	caged := self(t, modeCaged)
	caged.Spawn = Caged()
	res, err := Exec(context.Background(), caged, "return 1")
	if err != nil || res.Kind != "" {
		t.Logf("caged worker unavailable here (%v, %s %s): testing uncaged only", err, res.Kind, res.Error)
		return out
	}
	out["caged"] = caged
	return out
}

func TestExec(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		limits runnerproto.Limits
		kind   string
		value  string
		errHas string
		calls  []CallRecord
		lines  int
	}{
		{name: "value", code: "const x: number = 20;\nreturn { answer: x + 22 }", value: `{"answer":42}`},
		{name: "tool calls", code: "const a = await fs.read({ path: 'a' });\nconst b = fs.read({ path: 'b' });\nreturn [a, b]",
			value: `["fs.read {\"path\":\"a\"}","fs.read {\"path\":\"b\"}"]`,
			calls: []CallRecord{{Server: "fs", Tool: "read", Args: json.RawMessage(`{"path":"a"}`), Outcome: OutcomeOK}, {Server: "fs", Tool: "read", Args: json.RawMessage(`{"path":"b"}`), Outcome: OutcomeOK}}},
		{name: "denied", code: "try { fs.read({ path: '/secret/key' }) } catch (e) { console.log(e.message) }\nawait git.push({})",
			kind: KindException, errHas: "Error: escalation refused (at line 2:",
			calls: []CallRecord{{Server: "fs", Tool: "read", Args: json.RawMessage(`{"path":"/secret/key"}`), Outcome: OutcomeDenied, Detail: "protected path /secret/key"}, {Server: "git", Tool: "git_push", Args: json.RawMessage(`{}`), Outcome: OutcomeError, Detail: "escalation refused"}},
			lines: 1},
		{name: "console", code: "console.log('hi'); console.error('oops'); help('fs.read')", lines: 3},
		{name: "syntax", code: "const = 1", kind: KindSyntax, errHas: "1:7:"},
		{name: "loop", code: "for (;;) {}", limits: runnerproto.Limits{TimeoutMillis: 200}, kind: KindTimeout, errHas: "timed out after 200ms"},
		{name: "memory", code: "const a = []; for (;;) a.push(new Array(1e5).fill(1))", limits: runnerproto.Limits{MemoryBytes: 32 << 20}, kind: KindOOM},
		{name: "result", code: "return 'x'.repeat(5000)", limits: runnerproto.Limits{MaxResult: 1000}, kind: KindLimit},
		{name: "call limit", code: "for (;;) fs.read({ path: 'a' })", limits: runnerproto.Limits{MaxToolCalls: 5}, kind: KindLimit, errHas: "more than 5 tool calls"},
	}
	for sname, base := range spawners(t) {
		for _, tc := range tests {
			t.Run(sname+"/"+tc.name, func(t *testing.T) {
				cfg := base
				cfg.Limits = tc.limits
				res, err := Exec(context.Background(), cfg, tc.code)
				if err != nil {
					t.Fatalf("Exec = %v", err)
				}
				if res.Kind != tc.kind || !strings.Contains(res.Error, tc.errHas) {
					t.Fatalf("Exec(%q) = kind %q error %q, want %q containing %q", tc.code, res.Kind, res.Error, tc.kind, tc.errHas)
				}
				if tc.kind == "" && string(res.Value) != tc.value {
					t.Errorf("Exec(%q).Value = %s, want %s", tc.code, res.Value, tc.value)
				}
				if tc.calls != nil {
					got, _ := json.Marshal(res.Calls)
					want, _ := json.Marshal(tc.calls)
					if string(got) != string(want) {
						t.Errorf("Calls = %s, want %s", got, want)
					}
				}
				if tc.lines > 0 && len(res.Console) != tc.lines {
					t.Errorf("Console = %+v, want %d lines", res.Console, tc.lines)
				}
				if res.Duration <= 0 {
					t.Errorf("Duration = %v", res.Duration)
				}
			})
		}
	}
}

// TestExecKillsLongBuiltin: one builtin call runs for seconds without
// checking the VM's deadline; only killing the process stops it on time.
func TestExecKillsLongBuiltin(t *testing.T) {
	for sname, cfg := range spawners(t) {
		t.Run(sname, func(t *testing.T) {
			cfg.Limits = runnerproto.Limits{TimeoutMillis: 50, MemoryBytes: 1 << 30}
			res, err := Exec(context.Background(), cfg, "return new Array(3e7).fill(1).join(',').length")
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != KindTimeout || !strings.Contains(res.Error, "worker was killed") {
				t.Fatalf("Exec = kind %q error %q, want a killed timeout", res.Kind, res.Error)
			}
			// The builtin alone takes seconds; the kill comes at 50 ms plus
			// the grace period.
			if limit := 50*time.Millisecond + grace(50*time.Millisecond) + time.Second; res.Duration > limit {
				t.Errorf("Duration = %v, want under %v", res.Duration, limit)
			}
		})
	}
}

func TestExecToolResultsChecked(t *testing.T) {
	tests := []struct {
		name   string
		result runnerproto.ToolResult
		want   string // what the script sees
	}{
		{"invalid UTF-8", runnerproto.ToolResult{Content: json.RawMessage("[{\"type\":\"text\",\"text\":\"\xff\"}]")}, "the tool result is not valid UTF-8"},
		{"invalid JSON", runnerproto.ToolResult{Content: json.RawMessage(`[{"type":`)}, "the tool result is not valid JSON"},
		{"too large", textResult(strings.Repeat("x", runnerproto.MaxMessageSize)), "more than the"},
		{"denial wins", runnerproto.ToolResult{Denied: "no", Error: "e", Content: json.RawMessage(`[]`)}, "DENIED: no"},
		{"invalid UTF-8 denial", runnerproto.ToolResult{Denied: "bad \xff"}, "DENIED: bad \uFFFD"},
		{"tool error", runnerproto.ToolResult{Content: json.RawMessage(`[{"type":"text","text":"ENOENT"}]`), IsError: true}, "TOOL ERROR: ENOENT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := self(t, modeWorker)
			cfg.Call = func(context.Context, string, string, json.RawMessage) runnerproto.ToolResult { return tc.result }
			res, err := Exec(context.Background(), cfg, "try { fs.read({ path: 'a' }); return 'no error' } catch (e) { return e.message }")
			if err != nil || res.Kind != "" {
				t.Fatalf("Exec = %v, %s %s", err, res.Kind, res.Error)
			}
			var got string
			if err := json.Unmarshal(res.Value, &got); err != nil || !strings.Contains(got, tc.want) {
				t.Errorf("script saw %s, want it to contain %q", res.Value, tc.want)
			}
		})
	}
}

// TestHostileWorker: a worker that says anything an honest one could not
// is killed, and the execution fails with Kind killed.
func TestHostileWorker(t *testing.T) {
	tests := []struct {
		behaviour string
		limits    runnerproto.Limits
		kind      string
		errHas    string
	}{
		{"garbage", runnerproto.Limits{}, KindKilled, "malformed message"},
		{"oversized", runnerproto.Limits{}, KindKilled, "message too large"},
		{"invalid-utf8", runnerproto.Limits{}, KindKilled, "not valid UTF-8"},
		{"unknown-id", runnerproto.Limits{}, KindKilled, "tool call id 7, want 1"},
		{"unknown-tool", runnerproto.Limits{}, KindKilled, `"fs"."format_disk", which is not in its tool list`},
		{"array-args", runnerproto.Limits{}, KindKilled, "not a JSON object"},
		{"too-many-calls", runnerproto.Limits{MaxToolCalls: 2}, KindKilled, "more than 2 tool calls"},
		{"after-done", runnerproto.Limits{}, KindKilled, "done message after done"},
		{"huge-result", runnerproto.Limits{MaxResult: 1000}, KindKilled, "returned 2002 bytes"},
		{"bad-kind", runnerproto.Limits{}, KindKilled, `unknown kind "allow"`},
		{"bad-level", runnerproto.Limits{}, KindKilled, "unknown level"},
		{"start-back", runnerproto.Limits{}, KindKilled, "sent a start message"},
		{"hang", runnerproto.Limits{TimeoutMillis: 100}, KindTimeout, "worker was killed"},
		{"crash", runnerproto.Limits{}, KindKilled, "(exit status 2): fatal error: pretend stack overflow"},
		{"silent-exit", runnerproto.Limits{}, KindKilled, "ended without a result (exit status 0)"},
		{"honest", runnerproto.Limits{}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.behaviour, func(t *testing.T) {
			cfg := self(t, modeFake, tc.behaviour)
			cfg.Limits = tc.limits
			res, err := Exec(context.Background(), cfg, "return 1")
			if err != nil {
				t.Fatalf("Exec = %v", err)
			}
			if res.Kind != tc.kind || !strings.Contains(res.Error, tc.errHas) {
				t.Fatalf("Exec with a %s worker = kind %q error %q, want %q containing %q", tc.behaviour, res.Kind, res.Error, tc.kind, tc.errHas)
			}
			if tc.kind != "" && res.Value != nil {
				t.Errorf("Exec with a %s worker kept its value %s", tc.behaviour, res.Value)
			}
		})
	}
}

func TestExecCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := self(t, modeWorker)
	called := make(chan struct{})
	cfg.Call = func(ctx context.Context, server, tool string, args json.RawMessage) runnerproto.ToolResult {
		close(called)
		<-ctx.Done() // a tool that takes until the execution is cancelled
		return runnerproto.ToolResult{Error: ctx.Err().Error()}
	}
	go func() {
		<-called
		cancel()
	}()
	res, err := Exec(ctx, cfg, "fs.read({ path: 'a' }); for (;;) {}")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Exec after cancel = %v, want context.Canceled", err)
	}
	if res.Kind != KindKilled || !strings.Contains(res.Error, "cancelled") {
		t.Errorf("Exec after cancel = kind %q error %q", res.Kind, res.Error)
	}
	if len(res.Calls) != 1 {
		t.Errorf("Calls = %+v, want the one call made", res.Calls)
	}
}

func TestExecConfig(t *testing.T) {
	good := self(t, modeWorker)
	tests := []struct {
		name   string
		change func(*Config)
		errHas string
	}{
		{"relative path", func(c *Config) { c.WorkerPath = "ironcurtain" }, "not absolute"},
		{"no call", func(c *Config) { c.Call = nil }, "no ToolFunc"},
		{"duplicate tool", func(c *Config) { c.Tools = append(c.Tools, c.Tools[0]) }, "listed twice"},
		{"empty tool name", func(c *Config) { c.Tools = []runnerproto.ToolSpec{{Server: "a"}} }, "empty tool name"},
		{"negative limit", func(c *Config) { c.Limits.MaxResult = -1 }, "negative limit"},
		{"limits too big", func(c *Config) { c.Limits.MaxResult, c.Limits.MaxConsole = 3<<20, 1<<20 }, "exceed what one message carries"},
		{"tiny memory", func(c *Config) { c.Limits.MemoryBytes = 1000 }, "below 1 MiB"},
		{"missing binary", func(c *Config) { c.WorkerPath = "/nonexistent/ironcurtain" }, "start worker"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			cfg.Tools = append([]runnerproto.ToolSpec(nil), good.Tools...)
			tc.change(&cfg)
			if _, err := Exec(context.Background(), cfg, "return 1"); err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("Exec with %s = %v, want an error containing %q", tc.name, err, tc.errHas)
			}
		})
	}
	res, err := Exec(context.Background(), good, strings.Repeat(" ", jsworker.MaxCodeSize+1))
	if err != nil || res.Kind != KindLimit {
		t.Errorf("Exec of oversized code = %+v, %v; want a limit", res, err)
	}
}

func TestHelpAndSignature(t *testing.T) {
	if got, want := Signature(testTools()[2]), "git.push(args?: { [key: string]: unknown }): Promise<string>"; got != want {
		t.Errorf("Signature = %q, want %q", got, want)
	}
	if got := Help(testTools(), "fs"); !strings.Contains(got, "fs.read(args: { path: string }): Promise<string>") {
		t.Errorf("Help(fs) = %q", got)
	}
}
