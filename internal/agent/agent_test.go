package agent

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

func TestTurnRunsCodeAndFeedsBackResult(t *testing.T) {
	f := newFixture(t,
		runCode("t1", "return 1", Usage{InputTokens: 10, OutputTokens: 5}),
		say("done", Usage{InputTokens: 20, OutputTokens: 3}))
	f.exec.byCode["return 1"] = Execution{
		Value:   json.RawMessage(`{"n":1}`),
		Console: []runnerproto.ConsoleLine{{Level: "log", Text: "hello"}, {Level: "warn", Text: "careful"}},
		Calls: []ToolCall{
			{Server: "filesystem", Tool: "write_file", Args: json.RawMessage(`{"path":"a"}`), Outcome: OutcomeOK},
			{Server: "filesystem", Tool: "read_text_file", Args: json.RawMessage(`{"path":"~/.ssh/id_rsa"}`), Outcome: OutcomeDenied, Detail: "DENIED: SSH keys are off limits"},
		},
	}
	a := f.agent(t, Budget{}, nil)
	res, err := a.Turn(context.Background(), "do it")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopDone || res.Text != "done" {
		t.Errorf("Turn = %+v, want done/\"done\"", res)
	}
	req := f.model.lastRequest(t)
	if len(req.Tools) != 1 || req.Tools[0].Name != ToolName {
		t.Errorf("tools offered = %+v, want only %s", req.Tools, ToolName)
	}
	if len(req.Messages) != 3 {
		t.Fatalf("second request has %d messages, want 3", len(req.Messages))
	}
	tr := req.Messages[2].Parts[0]
	for _, want := range []string{"1. filesystem.write_file {\"path\":\"a\"} -> ok", "DENIED: SSH keys are off limits", "hello", "[warn] careful", `Result: {"n":1}`, "Do not retry it"} {
		if !strings.Contains(tr.Content, want) {
			t.Errorf("tool result lacks %q:\n%s", want, tr.Content)
		}
	}
	if tr.Type != PartToolResult || tr.ToolResultID != "t1" || !tr.IsError {
		t.Errorf("tool result part = %+v, want an error result for t1 (a call was denied)", tr)
	}
	if got := a.Spent(); got.Steps != 2 || got.Tokens() != 38 {
		t.Errorf("Spent = %+v, want 2 steps, 38 tokens", got)
	}
	if len(f.eventsOf(EventCode)) != 1 || len(f.eventsOf(EventResult)) != 1 || len(f.eventsOf(EventText)) != 2 {
		t.Errorf("events = %+v", f.events)
	}
}

func TestTurnBadToolInput(t *testing.T) {
	tests := []struct {
		name string
		part Part
		want string
	}{
		{"unknown tool", Part{Type: PartToolUse, ToolUseID: "x", ToolName: "shell", Input: json.RawMessage(`{"cmd":"ls"}`)}, `Unknown tool "shell"`},
		{"no code", Part{Type: PartToolUse, ToolUseID: "x", ToolName: ToolName, Input: json.RawMessage(`{}`)}, "Invalid input"},
		{"extra field", Part{Type: PartToolUse, ToolUseID: "x", ToolName: ToolName, Input: json.RawMessage(`{"code":"1","x":2}`)}, "Invalid input"},
		{"not json object", Part{Type: PartToolUse, ToolUseID: "x", ToolName: ToolName, Input: json.RawMessage(`"return 1"`)}, "Invalid input"},
		{"empty code", Part{Type: PartToolUse, ToolUseID: "x", ToolName: ToolName, Input: json.RawMessage(`{"code":"  "}`)}, "code is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, &Response{StopReason: StopToolUse, Parts: []Part{tc.part}}, say("ok", Usage{}))
			a := f.agent(t, Budget{}, nil)
			if _, err := a.Turn(context.Background(), "go"); err != nil {
				t.Fatal(err)
			}
			if len(f.exec.codes) != 0 {
				t.Errorf("executor ran %q", f.exec.codes)
			}
			got := f.model.lastRequest(t).Messages[2].Parts[0]
			if !got.IsError || !strings.Contains(got.Content, tc.want) {
				t.Errorf("tool result = %+v, want an error containing %q", got, tc.want)
			}
		})
	}
}

func TestBudgets(t *testing.T) {
	u := Usage{InputTokens: 100, OutputTokens: 100}
	tests := []struct {
		name      string
		budget    Budget
		step      time.Duration // clock advance per execution
		dim       Dimension
		stopSteps int // steps done when the turn stops
	}{
		{"steps", Budget{Steps: 5}, 0, DimSteps, 5},
		{"tokens", Budget{Tokens: 1000}, 0, DimTokens, 5},
		{"cost", Budget{CostUSD: 1.0}, 0, DimCost, 5},
		{"wall clock", Budget{WallClock: 50 * time.Second}, 10 * time.Second, DimWallClock, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var script []*Response
			for i := 0; i < 10; i++ {
				script = append(script, runCode(string(rune('a'+i)), "step "+string(rune('a'+i)), u))
			}
			f := newFixture(t, script...)
			f.exec.step = tc.step
			a := f.agent(t, tc.budget, perToken)
			res, err := a.Turn(context.Background(), "go forever")
			if err != nil {
				t.Fatal(err)
			}
			if res.Stop != StopBudget || res.Dimension != tc.dim {
				t.Fatalf("Turn = %+v, want budget stop on %s", res, tc.dim)
			}
			if got := a.Spent().Steps; got != tc.stopSteps {
				t.Errorf("steps at stop = %d, want %d", got, tc.stopSteps)
			}
			warns := f.eventsOf(EventWarning)
			if len(warns) != 1 || warns[0].Dimension != tc.dim {
				t.Fatalf("warnings = %+v, want exactly one about %s", warns, tc.dim)
			}
			// The model was told too, in the results after the warning.
			var told bool
			for _, m := range f.sess.Messages() {
				for _, p := range m.Parts {
					if p.Type == PartText && strings.Contains(p.Text, "80% used") {
						told = true
					}
				}
			}
			if !told {
				t.Error("the model was not told about the 80% warning")
			}
			if stops := f.eventsOf(EventStop); len(stops) != 1 || !strings.Contains(stops[0].Text, string(tc.dim)) {
				t.Errorf("stop events = %+v", stops)
			}
			// The transcript stays well formed: every tool_use answered.
			if err := checkConversation(f.sess.Messages()); err != nil {
				t.Errorf("conversation after stop: %v", err)
			}
			// Another turn stops at once, without calling the model.
			n := len(f.model.requests)
			res, err = a.Turn(context.Background(), "more")
			if err != nil || res.Stop != StopBudget {
				t.Errorf("second Turn = %+v, %v; want an immediate budget stop", res, err)
			}
			if len(f.model.requests) != n {
				t.Error("the model was called after the budget was used up")
			}
		})
	}
}

func TestUnknownCostWarnsOnce(t *testing.T) {
	f := newFixture(t, runCode("a", "x", Usage{}), runCode("b", "y", Usage{}), say("ok", Usage{}))
	a := f.agent(t, Budget{CostUSD: 1}, func(string, Usage) (float64, bool) { return 0, false })
	if _, err := a.Turn(context.Background(), "go"); err != nil {
		t.Fatal(err)
	}
	if w := f.eventsOf(EventWarning); len(w) != 1 || !strings.Contains(w[0].Text, "not known") {
		t.Errorf("warnings = %+v, want one about the unknown price", w)
	}
	if !a.Spent().CostUnknown {
		t.Error("Spent.CostUnknown not set")
	}
}

func TestLoopDetection(t *testing.T) {
	tests := []struct {
		name     string
		codes    []string
		results  map[string]string
		wantLoop bool
		ran      int
	}{
		{"same code same result", []string{"a", "a", "a", "a"}, nil, true, 3},
		{"same code changing result", []string{"a", "a", "a"}, map[string]string{}, false, 3},
		{"interrupted", []string{"a", "a", "b", "a", "a"}, nil, false, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var script []*Response
			for i, c := range tc.codes {
				script = append(script, runCode(string(rune('a'+i)), c, Usage{}))
			}
			if !tc.wantLoop {
				script = append(script, say("fine", Usage{}))
			}
			f := newFixture(t, script...)
			if tc.results != nil {
				// A result that changes every run: the model learns something.
				f.exec.vary = true
			}
			a := f.agent(t, Budget{}, nil)
			res, err := a.Turn(context.Background(), "go")
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Stop == StopLoop; got != tc.wantLoop {
				t.Fatalf("Turn = %+v, want loop %v", res, tc.wantLoop)
			}
			if tc.wantLoop {
				msgs := f.sess.Messages()
				last := msgs[len(msgs)-1].Parts[0]
				if !strings.Contains(last.Content, "3. time in a row") {
					t.Errorf("model not told about the loop: %s", last.Content)
				}
				if len(f.exec.codes) != tc.ran {
					t.Errorf("ran %d times, want %d", len(f.exec.codes), tc.ran)
				}
				if len(f.eventsOf(EventStop)) != 1 {
					t.Error("the user was not told about the loop")
				}
			}
		})
	}
}

func TestExecutorFailureEndsTurnCleanly(t *testing.T) {
	f := newFixture(t, &Response{StopReason: StopToolUse, Parts: []Part{
		{Type: PartToolUse, ToolUseID: "a", ToolName: ToolName, Input: json.RawMessage(`{"code":"1"}`)},
		{Type: PartToolUse, ToolUseID: "b", ToolName: ToolName, Input: json.RawMessage(`{"code":"2"}`)},
	}})
	f.exec.err = errors.New("worker did not start")
	a := f.agent(t, Budget{}, nil)
	_, err := a.Turn(context.Background(), "go")
	if err == nil || !strings.Contains(err.Error(), "worker did not start") {
		t.Fatalf("Turn error = %v, want the executor's", err)
	}
	if len(f.exec.codes) != 1 {
		t.Errorf("executor called %d times, want 1", len(f.exec.codes))
	}
	if err := checkConversation(f.sess.Messages()); err != nil {
		t.Errorf("conversation after failure: %v", err)
	}
}

func TestSystemPrompt(t *testing.T) {
	p := SystemPrompt("/tmp/sb", "filesystem: read_text_file, write_file")
	for _, want := range []string{"help()", `help("filesystem")`, "DENIED", "do not retry", "/tmp/sb", "execute_code", "read_text_file"} {
		if !strings.Contains(p, want) {
			t.Errorf("system prompt lacks %q", want)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("a", 5000) + "MIDDLE" + strings.Repeat("z", 5000)
	tests := []struct {
		name  string
		in    string
		limit int
		keep  bool
	}{
		{"short", "hello", 100, true},
		{"exact", strings.Repeat("x", 100), 100, true},
		{"long", long, 1000, false},
		{"tiny limit", long, 1, false},
		{"multibyte", strings.Repeat("é", 3000), 501, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Truncate(tc.in, tc.limit)
			if tc.keep {
				if got != tc.in {
					t.Errorf("Truncate(%d bytes, %d) changed the text", len(tc.in), tc.limit)
				}
				return
			}
			if len(got) > max(tc.limit, 64) {
				t.Errorf("Truncate(%d bytes, %d) = %d bytes, want at most the limit", len(tc.in), tc.limit, len(got))
			}
			if !strings.Contains(got, "bytes omitted") || got[0] != tc.in[0] || got[len(got)-1] != tc.in[len(tc.in)-1] {
				t.Errorf("Truncate(%d bytes, %d) = %q, want head, marker and tail", len(tc.in), tc.limit, got)
			}
			if !strings.ContainsRune(got, 'é') && strings.Contains(tc.in, "é") || strings.ContainsRune(got, '\uFFFD') {
				t.Errorf("Truncate cut a rune: %q", got)
			}
		})
	}
	text, _ := FormatExecution(Execution{Value: json.RawMessage(`"` + strings.Repeat("v", 50000) + `"`)}, DefaultResultLimit)
	if len(text) > DefaultResultLimit || !strings.HasPrefix(text, `Result: "vvv`) {
		t.Errorf("FormatExecution of a 50 KB value = %d bytes starting %q", len(text), text[:20])
	}
}

func FuzzTruncate(f *testing.F) {
	f.Add("hello world", 70)
	f.Add(strings.Repeat("é", 100), 64)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit > 1<<20 || limit < -1<<20 {
			return
		}
		got := Truncate(s, limit)
		if len(s) <= max(limit, 64) {
			if got != s {
				t.Fatalf("Truncate(%q, %d) = %q, want unchanged", s, limit, got)
			}
			return
		}
		if len(got) > max(limit, 64) {
			t.Fatalf("Truncate(%d bytes, %d) = %d bytes", len(s), limit, len(got))
		}
	})
}

func TestPrintEvents(t *testing.T) {
	ex := &Execution{Error: "Error: DENIED: no", Kind: "exception", Calls: []ToolCall{
		{Server: "fs", Tool: "write", Outcome: OutcomeOK},
		{Server: "fs", Tool: "read\x1b[2J", Outcome: OutcomeDenied, Detail: "keys\x07"},
	}}
	tests := []struct {
		ev      Event
		verbose bool
		want    string
	}{
		{Event{Kind: EventText, Text: "hi\x1b]0;title\x07\nthere\tok"}, false, "hi\\u001b]0;title\\u0007\nthere\tok"},
		{Event{Kind: EventCode, Text: "a\nb"}, false, "[running code: 2 lines]"},
		{Event{Kind: EventCode, Text: "a\nb"}, true, "--- execute_code ---\na\nb"},
		{Event{Kind: EventResult, Text: "full", Execution: ex}, false, "[2 tool calls: 1 ok, 1 denied, 0 failed; exception: Error: DENIED: no]\n  denied fs.read\\u001b[2J: keys\\u0007\n"},
		{Event{Kind: EventResult, Text: "full\x1b", Execution: ex}, true, "--- result ---\nfull\\u001b"},
		{Event{Kind: EventWarning, Text: "80%\n"}, false, "warning: 80%\\u000a"},
	}
	for _, tc := range tests {
		var b strings.Builder
		PrintEvents(&b, tc.verbose)(tc.ev)
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("PrintEvents(%v)(%+v) = %q, want containing %q", tc.verbose, tc.ev, b.String(), tc.want)
		}
	}
}
