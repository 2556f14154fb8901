package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
)

// flavor is one provider as the tests drive it: through its real SDK,
// against the matching llmtest server.
type flavor struct {
	provider string
	server   func(testing.TB, ...llmtest.Turn) *llmtest.Server
	keyVar   string
	baseVar  string
	// authKey extracts the key a request carried.
	authKey func(llmtest.Request) string
}

var flavors = []flavor{
	{
		provider: Anthropic, server: llmtest.NewAnthropic,
		keyVar: "ANTHROPIC_API_KEY", baseVar: "ANTHROPIC_BASE_URL",
		authKey: func(r llmtest.Request) string { return r.Header.Get("X-Api-Key") },
	},
	{
		provider: OpenAI, server: llmtest.NewOpenAI,
		keyVar: "OPENAI_API_KEY", baseVar: "OPENAI_BASE_URL",
		authKey: func(r llmtest.Request) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") },
	},
}

// open returns a provider for f pointed at s through the environment.
func (f flavor) open(t *testing.T, s *llmtest.Server) Provider {
	t.Helper()
	p, err := New(f.provider+":test-model", Config{Getenv: envOf(map[string]string{f.keyVar: fakeKey(f.provider), f.baseVar: s.URL})})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func forEach(t *testing.T, fn func(t *testing.T, f flavor)) {
	for _, f := range flavors {
		t.Run(f.provider, func(t *testing.T) { fn(t, f) })
	}
}

func ask(text string) []Message {
	return []Message{{Role: RoleUser, Parts: []Part{{Type: PartText, Text: text}}}}
}

var executeCode = Tool{
	Name:        "execute_code",
	Description: "Run TypeScript in the sandbox.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{"code":{"type":"string"}},"required":["code"]}`),
}

func TestStreamText(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		deltas := []string{"Hel", "lo, ", "wörld", "!"}
		s := f.server(t, llmtest.Turn{Text: deltas, InputTokens: 12, OutputTokens: 5})
		var got []string
		resp, err := f.open(t, s).Complete(context.Background(), Request{
			System: "be brief", Messages: ask("hi"), MaxTokens: 100,
			OnText: func(d string) { got = append(got, d) },
		})
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		if !reflect.DeepEqual(got, deltas) {
			t.Errorf("OnText saw %q, want %q", got, deltas)
		}
		want := &Response{Parts: []Part{{Type: PartText, Text: "Hello, wörld!"}}, StopReason: StopEndTurn, Usage: Usage{12, 5}, Model: "test-model"}
		if !reflect.DeepEqual(resp, want) {
			t.Errorf("Complete = %+v, want %+v", resp, want)
		}
		reqs := s.Requests()
		if len(reqs) != 1 {
			t.Fatalf("server saw %d requests, want 1", len(reqs))
		}
		if k := f.authKey(reqs[0]); k != fakeKey(f.provider) {
			t.Errorf("request carried key %q, want the configured fake key", k)
		}
		var body map[string]any
		if err := reqs[0].Decode(&body); err != nil {
			t.Fatal(err)
		}
		if body["stream"] != true || body["model"] != "test-model" {
			t.Errorf("request stream = %v, model = %v, want true, test-model", body["stream"], body["model"])
		}
		if !strings.Contains(string(reqs[0].Body), "be brief") {
			t.Errorf("request body %s lacks the system prompt", reqs[0].Body)
		}
	})
}

func TestToolRoundTrip(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		input := `{"code":"return await filesystem.list_directory({path: \"é\"})"}`
		s := f.server(t,
			llmtest.Turn{Text: []string{"Let me look."}, ToolCalls: []llmtest.ToolCall{{ID: "call-1", Name: "execute_code", Input: input}}, InputTokens: 100, OutputTokens: 20},
			llmtest.Turn{Text: []string{"There is one file."}, InputTokens: 150, OutputTokens: 8, Check: func(r llmtest.Request) error {
				if !strings.Contains(string(r.Body), "a.txt") || !strings.Contains(string(r.Body), "call-1") {
					return fmt.Errorf("second request lacks the tool result: %s", r.Body)
				}
				return nil
			}},
		)
		p := f.open(t, s)
		msgs := ask("what is in the sandbox?")
		req := Request{Messages: msgs, Tools: []Tool{executeCode}}
		r1, err := p.Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("first Complete: %v", err)
		}
		if r1.StopReason != StopToolUse {
			t.Errorf("StopReason = %q, want %q", r1.StopReason, StopToolUse)
		}
		uses := r1.ToolUses()
		if len(uses) != 1 || uses[0].ToolUseID != "call-1" || uses[0].ToolName != "execute_code" || string(uses[0].Input) != input {
			t.Fatalf("ToolUses = %+v, want one execute_code call-1 with %s", uses, input)
		}
		if r1.Text() != "Let me look." {
			t.Errorf("Text = %q", r1.Text())
		}
		req.Messages = append(msgs,
			Message{Role: RoleAssistant, Parts: r1.Parts},
			Message{Role: RoleUser, Parts: []Part{{Type: PartToolResult, ToolResultID: "call-1", Content: `["a.txt"]`}}},
		)
		r2, err := p.Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("second Complete: %v", err)
		}
		if r2.Text() != "There is one file." || r2.StopReason != StopEndTurn {
			t.Errorf("second Complete = %q, %q", r2.Text(), r2.StopReason)
		}
		if total := r1.Usage.Add(r2.Usage); total != (Usage{250, 28}) {
			t.Errorf("total usage = %+v, want {250 28}", total)
		}
	})
}

// TestToolResultVariants: error results, empty results and tool results
// followed by text all reach the wire in a shape the API accepts.
func TestToolResultVariants(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t, llmtest.Turn{Text: []string{"ok"}, Check: func(r llmtest.Request) error {
			if !strings.Contains(string(r.Body), "DENIED: outside the sandbox") {
				return fmt.Errorf("error result missing: %s", r.Body)
			}
			return nil
		}})
		msgs := []Message{
			{Role: RoleUser, Parts: []Part{{Type: PartText, Text: "go"}}},
			{Role: RoleAssistant, Parts: []Part{
				{Type: PartText, Text: ""},
				{Type: PartToolUse, ToolUseID: "a", ToolName: "execute_code", Input: json.RawMessage(`{"code":"1"}`)},
				{Type: PartToolUse, ToolUseID: "b", ToolName: "execute_code", Input: json.RawMessage(`"{\"code\":"`)},
			}},
			{Role: RoleUser, Parts: []Part{
				{Type: PartToolResult, ToolResultID: "a", Content: "DENIED: outside the sandbox", IsError: true},
				{Type: PartToolResult, ToolResultID: "b", Content: ""},
				{Type: PartText, Text: "and then?"},
			}},
		}
		if _, err := f.open(t, s).Complete(context.Background(), Request{Messages: msgs, Tools: []Tool{executeCode}}); err != nil {
			t.Fatalf("Complete: %v", err)
		}
	})
}

func TestBrokenToolArguments(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t, llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: "execute_code", Input: `{"code": "unterminated`}}, StopReason: map[string]string{Anthropic: "max_tokens", OpenAI: "length"}[f.provider]})
		r, err := f.open(t, s).Complete(context.Background(), Request{Messages: ask("x"), Tools: []Tool{executeCode}})
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		uses := r.ToolUses()
		if len(uses) != 1 {
			t.Fatalf("ToolUses = %+v", uses)
		}
		var raw string
		if err := json.Unmarshal(uses[0].Input, &raw); err != nil || raw != `{"code": "unterminated` {
			t.Errorf("Input = %s, want the raw text as a JSON string", uses[0].Input)
		}
		if uses[0].ToolUseID == "" || r.StopReason != StopMaxTokens {
			t.Errorf("ToolUseID = %q, StopReason = %q, want an ID and %q", uses[0].ToolUseID, r.StopReason, StopMaxTokens)
		}
	})
}

func TestBaseURLFromConfig(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t, llmtest.Turn{Text: []string{"via config"}})
		p, err := New(f.provider+":m", Config{
			Keys:     map[string]string{f.provider: fakeKey(f.provider)},
			BaseURLs: map[string]string{f.provider: s.URL},
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Complete(context.Background(), Request{Messages: ask("x")})
		if err != nil || r.Text() != "via config" {
			t.Fatalf("Complete = %v, %v", r, err)
		}
		if k := f.authKey(s.Requests()[0]); k != fakeKey(f.provider) {
			t.Errorf("request carried key %q, want the config key", k)
		}
	})
}

func TestInvalidRequestSendsNothing(t *testing.T) {
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t)
		_, err := f.open(t, s).Complete(context.Background(), Request{Messages: []Message{{Role: RoleUser, Parts: []Part{{Type: PartText}}}}})
		if err == nil || !strings.Contains(err.Error(), "only empty text") {
			t.Errorf("Complete error = %v, want one about empty text", err)
		}
		if n := len(s.Requests()); n != 0 {
			t.Errorf("server saw %d requests, want 0", n)
		}
	})
}

func TestOpenAICompatibleWithoutKey(t *testing.T) {
	s := llmtest.NewOpenAI(t, llmtest.Turn{Text: []string{"local"}, Model: "llama3.1:8b", InputTokens: 3, OutputTokens: 1})
	p, err := New("openai-compatible:llama3.1:8b", Config{BaseURLs: map[string]string{"openai-compatible": s.URL}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Complete(context.Background(), Request{Messages: ask("x"), MaxTokens: 50})
	if err != nil || r.Text() != "local" || r.Model != "llama3.1:8b" || r.Usage != (Usage{3, 1}) {
		t.Fatalf("Complete = %+v, %v", r, err)
	}
	req := s.Requests()[0]
	if a := req.Header.Get("Authorization"); a != "" {
		t.Errorf("keyless request sent Authorization %q", a)
	}
	var body struct {
		MaxTokens           *int `json:"max_tokens"`
		MaxCompletionTokens *int `json:"max_completion_tokens"`
	}
	if err := req.Decode(&body); err != nil || body.MaxTokens == nil || *body.MaxTokens != 50 || body.MaxCompletionTokens != nil {
		t.Errorf("request limits = %+v, %v, want max_tokens 50 only", body, err)
	}
}

func TestOpenAICompatibleKeyFromEnvPair(t *testing.T) {
	s := llmtest.NewOpenAI(t, llmtest.Turn{Text: []string{"ok"}})
	key := fakeKey("compat")
	p, err := New("openai-compatible:m", Config{Getenv: envOf(map[string]string{"OPENAI_BASE_URL": s.URL, "OPENAI_API_KEY": key})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Complete(context.Background(), Request{Messages: ask("x")}); err != nil {
		t.Fatal(err)
	}
	if a := s.Requests()[0].Header.Get("Authorization"); a != "Bearer "+key {
		t.Errorf("Authorization = %q, want the env key", a)
	}
}

// TestSDKIgnoresProcessEnvironment: variables in the real environment that
// the SDKs would read on their own do not reach the request.
func TestSDKIgnoresProcessEnvironment(t *testing.T) {
	leak := fakeKey("ambient")
	t.Setenv("ANTHROPIC_API_KEY", leak)
	t.Setenv("ANTHROPIC_AUTH_TOKEN", leak)
	t.Setenv("OPENAI_API_KEY", leak)
	t.Setenv("OPENAI_ORG_ID", "org-ambient")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-Leak: "+leak)
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "X-Leak: "+leak)
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1/")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	forEach(t, func(t *testing.T, f flavor) {
		s := f.server(t, llmtest.Turn{Text: []string{"ok"}})
		if _, err := f.open(t, s).Complete(context.Background(), Request{Messages: ask("x")}); err != nil {
			t.Fatal(err)
		}
		for k, v := range s.Requests()[0].Header {
			if strings.Contains(strings.Join(v, ","), leak) || strings.Contains(strings.Join(v, ","), "org-ambient") {
				t.Errorf("header %s = %q carries an ambient value", k, v)
			}
		}
	})
	s := llmtest.NewOpenAI(t, llmtest.Turn{Text: []string{"ok"}})
	p, err := New("openai-compatible:m", Config{BaseURLs: map[string]string{"openai-compatible": s.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Complete(context.Background(), Request{Messages: ask("x")}); err != nil {
		t.Fatal(err)
	}
	if a := s.Requests()[0].Header.Get("Authorization"); a != "" {
		t.Errorf("compatible endpoint got Authorization %q from the process environment", a)
	}
}

func TestAnthropicRequestShape(t *testing.T) {
	s := llmtest.NewAnthropic(t, llmtest.Turn{Text: []string{"ok"}})
	p := flavors[0].open(t, s)
	if _, err := p.Complete(context.Background(), Request{System: "sys", Messages: ask("x"), Tools: []Tool{executeCode, {Name: "noargs"}}}); err != nil {
		t.Fatal(err)
	}
	var body struct {
		MaxTokens int `json:"max_tokens"`
		System    []struct {
			Text         string          `json:"text"`
			CacheControl json.RawMessage `json:"cache_control"`
		} `json:"system"`
		Tools []struct {
			Name        string         `json:"name"`
			Description string         `json:"description"`
			InputSchema map[string]any `json:"input_schema"`
		} `json:"tools"`
		Messages []struct {
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	if err := s.Requests()[0].Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.MaxTokens != DefaultMaxTokens {
		t.Errorf("max_tokens = %d, want %d", body.MaxTokens, DefaultMaxTokens)
	}
	if len(body.System) != 1 || body.System[0].Text != "sys" || len(body.System[0].CacheControl) == 0 {
		t.Errorf("system = %+v, want one cached block", body.System)
	}
	if len(body.Tools) != 2 || body.Tools[0].Description != executeCode.Description ||
		!reflect.DeepEqual(body.Tools[0].InputSchema["required"], []any{"code"}) || body.Tools[1].InputSchema["type"] != "object" {
		t.Errorf("tools = %+v", body.Tools)
	}
	if _, ok := body.Messages[0].Content[0]["cache_control"]; !ok {
		t.Errorf("last message block has no cache breakpoint: %+v", body.Messages[0].Content[0])
	}
}

func TestOpenAIRequestShape(t *testing.T) {
	s := llmtest.NewOpenAI(t, llmtest.Turn{Text: []string{"ok"}})
	if _, err := flavors[1].open(t, s).Complete(context.Background(), Request{System: "sys", Messages: ask("x"), Tools: []Tool{executeCode}, MaxTokens: 77}); err != nil {
		t.Fatal(err)
	}
	var body struct {
		MaxCompletionTokens int `json:"max_completion_tokens"`
		StreamOptions       struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
		Tools []struct {
			Function struct {
				Name       string         `json:"name"`
				Parameters map[string]any `json:"parameters"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := s.Requests()[0].Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.MaxCompletionTokens != 77 || !body.StreamOptions.IncludeUsage {
		t.Errorf("max_completion_tokens = %d, include_usage = %v", body.MaxCompletionTokens, body.StreamOptions.IncludeUsage)
	}
	if len(body.Messages) != 2 || body.Messages[0].Role != "system" || body.Messages[0].Content != "sys" {
		t.Errorf("messages = %+v, want system then user", body.Messages)
	}
	if len(body.Tools) != 1 || body.Tools[0].Function.Name != "execute_code" || body.Tools[0].Function.Parameters["type"] != "object" {
		t.Errorf("tools = %+v", body.Tools)
	}
}

func TestAddToolCallDelta(t *testing.T) {
	type d struct {
		index          int64
		id, name, args string
	}
	for _, tc := range []struct {
		name   string
		deltas []d
		want   []string // id/name/args
	}{
		{name: "fragments", deltas: []d{{0, "a", "f", ""}, {0, "", "", `{"x"`}, {0, "", "", `:1}`}}, want: []string{`a/f/{"x":1}`}},
		{name: "two indexes interleaved", deltas: []d{{0, "a", "f", "{"}, {1, "b", "g", "["}, {0, "", "", "}"}, {1, "", "", "]"}}, want: []string{"a/f/{}", "b/g/[]"}},
		{name: "every call index 0", deltas: []d{{0, "a", "f", "{}"}, {0, "b", "g", "[]"}}, want: []string{"a/f/{}", "b/g/[]"}},
	} {
		var calls []*toolCallAcc
		for _, x := range tc.deltas {
			var err error
			if calls, err = addToolCallDelta(calls, x.index, x.id, x.name, x.args); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for _, c := range calls {
			got = append(got, c.id+"/"+c.name+"/"+c.args.String())
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: calls = %q, want %q", tc.name, got, tc.want)
		}
	}
	var calls []*toolCallAcc
	var err error
	for i := range maxToolCalls + 1 {
		if calls, err = addToolCallDelta(calls, int64(i), "", "f", ""); err != nil {
			break
		}
	}
	if err == nil {
		t.Errorf("addToolCallDelta accepted %d calls", len(calls))
	}
}
