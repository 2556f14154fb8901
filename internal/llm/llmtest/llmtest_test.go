package llmtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
)

// recTB records the failures a server reports instead of failing the test,
// and runs its cleanups when told to.
type recTB struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (r *recTB) Helper() {}
func (r *recTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, strings.TrimSpace(fmt.Sprintf(format, args...)))
}
func (r *recTB) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recTB) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}
func (r *recTB) failures() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

func fakeKey() string { return strings.Join([]string{"fake", "llmtest", "key"}, "-") }

func post(t *testing.T, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

var anthropicHeaders = map[string]string{"Anthropic-Version": "2023-06-01", "X-Api-Key": "k"}

const tool = `"tools":[{"name":"run","input_schema":{"type":"object"}}]`

func TestAnthropicRejectsMalformed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   string
		want   string
	}{
		{name: "no version", header: map[string]string{"X-Api-Key": "k"}, body: `{}`, want: "no anthropic-version header"},
		{name: "no key", header: map[string]string{"Anthropic-Version": "2023-06-01"}, body: `{}`, want: "no x-api-key"},
		{name: "not JSON", body: `{`, want: "body is not JSON"},
		{name: "trailing data", body: `{} {}`, want: "data after"},
		{name: "no model", body: `{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, want: `"model" must be a non-empty string`},
		{name: "no max_tokens", body: `{"model":"m","messages":[{"role":"user","content":"x"}]}`, want: `"max_tokens" is required`},
		{name: "zero max_tokens", body: `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, want: "positive integer"},
		{name: "no messages", body: `{"model":"m","max_tokens":1,"messages":[]}`, want: "messages is empty"},
		{name: "assistant first", body: `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":"x"}]}`, want: "first message must be from the user"},
		{name: "empty text", body: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, want: `"text" must be a non-empty string`},
		{name: "undeclared tool", body: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"run","input":{}}]}]}`, want: "does not declare"},
		{name: "unanswered tool_use", body: `{"model":"m","max_tokens":1,` + tool + `,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"run","input":{}}]},{"role":"user","content":"y"}]}`, want: "no tool_result right after"},
		{name: "stray tool_result", body: `{"model":"m","max_tokens":1,` + tool + `,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"zz"}]}]}`, want: "did not call"},
		{name: "text before tool_result", body: `{"model":"m","max_tokens":1,` + tool + `,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"run","input":{}}]},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"tool_result","tool_use_id":"a"}]}]}`, want: "must come before other content"},
		{name: "input not object", body: `{"model":"m","max_tokens":1,` + tool + `,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"run","input":"s"}]}]}`, want: "input must be an object"},
		{name: "bad tool name", body: `{"model":"m","max_tokens":1,"tools":[{"name":"a.b","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"x"}]}`, want: `name "a.b"`},
		{name: "schema not object type", body: `{"model":"m","max_tokens":1,"tools":[{"name":"a","input_schema":{"type":"array"}}],"messages":[{"role":"user","content":"x"}]}`, want: `type must be "object"`},
		{name: "too many breakpoints", body: `{"model":"m","max_tokens":1,"system":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}},{"type":"text","text":"c","cache_control":{"type":"ephemeral"}},{"type":"text","text":"d","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"text","text":"x","cache_control":{"type":"ephemeral"}}]}]}`, want: "at most 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recTB{TB: t}
			s := NewAnthropic(rec, Turn{Text: []string{"never"}})
			header := tc.header
			if header == nil {
				header = anthropicHeaders
			}
			status, body := post(t, s.URL+"/v1/messages", header, tc.body)
			if status != http.StatusBadRequest || !strings.Contains(body, "invalid_request_error") {
				t.Errorf("POST = %d %s, want 400 invalid_request_error", status, body)
			}
			if got := rec.failures(); !strings.Contains(got, tc.want) {
				t.Errorf("server reported %q, want %q", got, tc.want)
			}
			if n := len(s.Requests()); n != 1 {
				t.Errorf("Requests() has %d entries, want 1", n)
			}
			rec.finish() // the unused turn is reported too; no assertion on it here
		})
	}
}

func TestOpenAIRejectsMalformed(t *testing.T) {
	const otool = `"tools":[{"type":"function","function":{"name":"run","parameters":{"type":"object"}}}]`
	const call = `{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"run","arguments":"{}"}}]}`
	for _, tc := range []struct {
		name, body, want string
	}{
		{name: "no model", body: `{"messages":[{"role":"user","content":"x"}]}`, want: `"model" must be a non-empty string`},
		{name: "no messages", body: `{"model":"m"}`, want: "messages must be an array"},
		{name: "bad role", body: `{"model":"m","messages":[{"role":"robot","content":"x"}]}`, want: `unknown role "robot"`},
		{name: "user without content", body: `{"model":"m","messages":[{"role":"user"}]}`, want: "content is missing"},
		{name: "stream_options without stream", body: `{"model":"m","stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`, want: "only allowed when stream is true"},
		{name: "both limits", body: `{"model":"m","max_tokens":1,"max_completion_tokens":1,"messages":[{"role":"user","content":"x"}]}`, want: "both set"},
		{name: "undeclared function", body: `{"model":"m","messages":[{"role":"user","content":"x"},` + call + `,{"role":"tool","tool_call_id":"c1","content":"r"}]}`, want: "does not declare"},
		{name: "unanswered call", body: `{"model":"m",` + otool + `,"messages":[{"role":"user","content":"x"},` + call + `,{"role":"user","content":"y"}]}`, want: "must be answered by tool messages first"},
		{name: "call never answered", body: `{"model":"m",` + otool + `,"messages":[{"role":"user","content":"x"},` + call + `]}`, want: "never answered"},
		{name: "stray tool message", body: `{"model":"m",` + otool + `,"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"zz","content":"r"}]}`, want: "no preceding assistant message"},
		{name: "arguments not a string", body: `{"model":"m",` + otool + `,"messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"run","arguments":{}}}]},{"role":"tool","tool_call_id":"c1","content":"r"}]}`, want: "arguments must be a string"},
		{name: "tool not function", body: `{"model":"m","tools":[{"type":"custom","function":{"name":"run"}}],"messages":[{"role":"user","content":"x"}]}`, want: `type must be "function"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recTB{TB: t}
			s := NewOpenAI(rec, Turn{Text: []string{"never"}})
			status, body := post(t, s.URL+"/chat/completions", nil, tc.body)
			if status != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
				t.Errorf("POST = %d %s, want a 400 error", status, body)
			}
			if got := rec.failures(); !strings.Contains(got, tc.want) {
				t.Errorf("server reported %q, want %q", got, tc.want)
			}
			rec.finish()
		})
	}
}

func TestScriptAccounting(t *testing.T) {
	rec := &recTB{TB: t}
	s := NewOpenAI(rec, Turn{Text: []string{"one"}}, Turn{Text: []string{"two"}})
	ok := `{"model":"m","messages":[{"role":"user","content":"x"}]}`
	if status, _ := post(t, s.URL+"/chat/completions", nil, ok); status != http.StatusOK {
		t.Fatalf("first POST = %d", status)
	}
	if status, _ := post(t, s.URL+"/wrong", nil, ok); status != http.StatusNotFound {
		t.Errorf("POST to a wrong path = %d, want 404", status)
	}
	rec.finish()
	if got := rec.failures(); !strings.Contains(got, "serves only POST /v1/chat/completions") || !strings.Contains(got, "1 of 2 scripted turns were never requested") {
		t.Errorf("failures = %q", got)
	}

	rec = &recTB{TB: t}
	s = NewAnthropic(rec)
	if status, _ := post(t, s.URL+"/v1/messages", anthropicHeaders, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}]}`); status != http.StatusBadRequest {
		t.Errorf("POST past the script = %d, want 400", status)
	}
	rec.finish()
	if got := rec.failures(); !strings.Contains(got, "the script has only 0 turns") {
		t.Errorf("failures = %q", got)
	}
}

// TestNonStreaming drives the SDKs' non-streaming calls against the servers.
func TestNonStreaming(t *testing.T) {
	ctx := context.Background()
	t.Run("anthropic", func(t *testing.T) {
		s := NewAnthropic(t, Turn{Text: []string{"Hi ", "there"}, ToolCalls: []ToolCall{{ID: "t1", Name: "run", Input: `{"a":1}`}}, InputTokens: 4, OutputTokens: 2})
		svc := anthropic.NewMessageService(aoption.WithBaseURL(s.URL), aoption.WithAPIKey(fakeKey()), aoption.WithMaxRetries(0))
		msg, err := svc.New(ctx, anthropic.MessageNewParams{
			Model: "m", MaxTokens: 10,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))},
			Tools:    []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "run", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"a": map[string]any{"type": "integer"}}}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 2 || msg.Content[0].Text != "Hi there" || string(msg.Content[1].Input) != `{"a":1}` || msg.StopReason != "tool_use" || msg.Usage.OutputTokens != 2 {
			t.Errorf("New = %+v", msg)
		}
	})
	t.Run("openai", func(t *testing.T) {
		s := NewOpenAI(t, Turn{Text: []string{"Hi"}, ToolCalls: []ToolCall{{Name: "run", Input: `{"a":1}`}}, InputTokens: 4, OutputTokens: 2})
		svc := openai.NewChatCompletionService(ooption.WithBaseURL(s.URL), ooption.WithAPIKey(fakeKey()), ooption.WithMaxRetries(0))
		cc, err := svc.New(ctx, openai.ChatCompletionNewParams{
			Model:    "m",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
		})
		if err != nil {
			t.Fatal(err)
		}
		m := cc.Choices[0].Message
		if m.Content != "Hi" || len(m.ToolCalls) != 1 || m.ToolCalls[0].Function.Arguments != `{"a":1}` || cc.Choices[0].FinishReason != "tool_calls" || cc.Usage.PromptTokens != 4 {
			t.Errorf("New = %+v", cc)
		}
	})
}

func TestPieces(t *testing.T) {
	for _, in := range []string{"", "{}", `{"a":"ééé"}`, strings.Repeat("€", 10), `{"code":"return 1"}`} {
		got := pieces(in)
		if strings.Join(got, "") != in || len(got) > 3 {
			t.Errorf("pieces(%q) = %q, want at most 3 parts joining to the input", in, got)
		}
		for _, p := range got {
			if !utf8.ValidString(p) {
				t.Errorf("pieces(%q) split a rune: %q", in, got)
			}
		}
	}
	if got := pieces("abcdef"); !reflect.DeepEqual(got, []string{"ab", "cd", "ef"}) {
		t.Errorf("pieces(abcdef) = %q, want [ab cd ef]", got)
	}
}
