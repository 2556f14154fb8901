package agent

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
)

// TestWithRealProvider drives a turn through the real Anthropic client
// against the scripted wire-protocol server, and checks that the key
// reaches neither the transcript nor the interaction log.
func TestWithRealProvider(t *testing.T) {
	const key = "sk-ant-api03-TESTKEY-must-never-be-logged-0123456789"
	srv := llmtest.NewAnthropic(t,
		llmtest.Turn{Text: []string{"Let me ", "look."}, ToolCalls: []llmtest.ToolCall{{Name: ToolName, Input: `{"code":"return 40+2"}`}}, InputTokens: 100, OutputTokens: 20},
		llmtest.Turn{Text: []string{"The answer is 42."}, InputTokens: 150, OutputTokens: 10,
			Check: func(r llmtest.Request) error {
				if !strings.Contains(string(r.Body), `Result: 42`) {
					t.Errorf("second request lacks the tool result: %s", r.Body)
				}
				return nil
			}},
	)
	env := map[string]string{"ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": srv.URL}
	p, err := llm.New("anthropic:claude-sonnet-4-5", llm.Config{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	f.exec.byCode["return 40+2"] = Execution{Value: json.RawMessage(`42`)}
	a, err := New(Config{Session: f.sess, Provider: FromLLM(p), Executor: f.exec, Cost: LLMCost, Budget: Budget{CostUSD: 1}, Clock: f.clock.Now,
		Events: func(ev Event) { f.events = append(f.events, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := a.Turn(context.Background(), "what is 40+2?")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopDone || res.Text != "The answer is 42." {
		t.Errorf("Turn = %+v", res)
	}
	sp := a.Spent()
	if sp.Tokens() != 280 || sp.Steps != 2 || sp.CostUnknown || sp.CostUSD <= 0 {
		t.Errorf("Spent = %+v, want 280 tokens, 2 steps, a known cost", sp)
	}
	var streamed strings.Builder
	for _, ev := range f.eventsOf(EventText) {
		streamed.WriteString(ev.Text)
	}
	if streamed.String() != "Let me look.The answer is 42." {
		t.Errorf("streamed text = %q", streamed.String())
	}
	for _, p := range []string{f.sess.TranscriptPath(), f.sess.InteractionsPath()} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "TESTKEY") {
			t.Errorf("%s contains the API key", p)
		}
	}
}
