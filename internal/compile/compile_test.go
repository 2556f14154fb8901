package compile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

func fakeKey() string { return strings.Join([]string{"fake", "compile", "key"}, "-") }

func provider(t *testing.T, srv *llmtest.Server) llm.Provider {
	t.Helper()
	vars := map[string]string{"ANTHROPIC_API_KEY": fakeKey(), "ANTHROPIC_BASE_URL": srv.URL}
	p, err := llm.New("anthropic:claude-test", llm.Config{Getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const testAnnotations = `{"generatedAt":"test","servers":{"fs":{"tools":[
{"toolName":"read_file","serverName":"fs","args":{"path":["read-path"]}},
{"toolName":"write_file","serverName":"fs","args":{"path":["write-path"],"content":["none"]}},
{"toolName":"move_file","serverName":"fs","args":{"source":["read-path","delete-path"],"destination":["write-path"]}}]}}}`

const (
	ruleRead     = `{"name":"allow-read-docs","description":"Read docs.","principle":"The agent may read ~/docs.","if":{"tool":["read_file"],"paths":{"roles":["read-path"],"within":"~/docs"}},"then":"allow","reason":"Docs are readable."}`
	ruleReadBad  = `{"name":"allow-read-docs","description":"Read docs.","principle":"The agent may read ~/docs.","if":{"tool":["read_file"],"paths":{"roles":["read-path"],"within":"~/doc"}},"then":"allow","reason":"Docs are readable."}`
	ruleEscalate = `{"name":"escalate-writes","description":"Writes need approval.","principle":"Writing needs approval.","if":{"tool":["write_file","move_file"]},"then":"escalate","reason":"Writes need approval."}`
)

func rulesTurn(rules ...string) llmtest.Turn {
	return call(toolRules, `{"rules":[`+strings.Join(rules, ",")+`]}`)
}

func call(name, input string) llmtest.Turn {
	return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: name, Input: input}}, InputTokens: 10, OutputTokens: 5}
}

func scenariosTurn(home string) llmtest.Turn {
	return call(toolScenarios, `{"scenarios":[`+
		`{"description":"read a doc","request":{"serverName":"fs","toolName":"read_file","arguments":{"path":"`+home+`/docs/a.txt"}},"expectedDecision":"allow","reasoning":"docs"},`+
		`{"description":"write tmp","request":{"serverName":"fs","toolName":"write_file","arguments":{"path":"/tmp/x","content":"y"}},"expectedDecision":"escalate","reasoning":"writes"}]}`)
}

type fixture struct {
	home, sandbox string
	ann           *policy.Annotations
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.ParseAnnotations("annotations", []byte(testAnnotations))
	if err != nil {
		t.Fatal(err)
	}
	return fixture{home: home, sandbox: filepath.Join(home, ".ironcurtain", "sandbox"), ann: ann}
}

func (f fixture) config(p llm.Provider, cache []byte) Config {
	return Config{Provider: p, Constitution: "The agent may read files in ~/docs. Writing outside the sandbox needs approval.",
		Annotations: f.ann, Servers: []string{"fs"}, Home: f.home, Sandbox: f.sandbox, Cache: cache,
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	return res
}

func TestVerifiesInRoundZeroAndCaches(t *testing.T) {
	f := newFixture(t)
	srv := llmtest.NewAnthropic(t, rulesTurn(ruleRead, ruleEscalate), scenariosTurn(f.home))
	var log strings.Builder
	var stages []string
	cfg := f.config(provider(t, srv), nil)
	cfg.Log = &log
	cfg.Progress = func(p Progress) { stages = append(stages, p.Stage) }
	res := run(t, cfg)
	s := res.Servers[0]
	if !res.Verified() || s.Calls != 2 || s.Rounds != 0 || len(s.Scenarios) != 5 {
		t.Fatalf("Run = verified %v, calls %d, rounds %d, %d scenarios, failures %+v, err %q; want verified, 2, 0, 5",
			res.Verified(), s.Calls, s.Rounds, len(s.Scenarios), s.Failures, s.Err)
	}
	if got := strings.Join(stages, ","); got != "rules,scenarios,verify,done" {
		t.Errorf("stages = %s, want rules,scenarios,verify,done", got)
	}
	if n := strings.Count(log.String(), "\n"); n != 2 || strings.Contains(log.String(), fakeKey()) {
		t.Errorf("log has %d lines (key present: %v), want 2 without the key", n, strings.Contains(log.String(), fakeKey()))
	}
	art, err := res.Render()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.home, "generated")
	if err := Deploy(dir, art, false); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.LoadPolicy(filepath.Join(dir, PolicyFile), "")
	if err != nil || len(pol.Rules) != 2 || pol.Rules[0].If.Server[0] != "fs" {
		t.Fatalf("deployed policy = %+v, %v; want 2 rules scoped to fs", pol, err)
	}
	if scs, err := scenario.Load(filepath.Join(dir, ScenarioFile)); err != nil || len(scs) != 5 {
		t.Errorf("deployed scenarios = %d, %v; want 5", len(scs), err)
	}
	if _, err := os.Stat(filepath.Join(dir, FailuresFile)); err == nil {
		t.Errorf("a verified deploy wrote %s", FailuresFile)
	}

	// Unchanged inputs: no request at all.
	cache, err := os.ReadFile(filepath.Join(dir, CacheFile))
	if err != nil {
		t.Fatal(err)
	}
	idle := llmtest.NewAnthropic(t)
	res2 := run(t, f.config(provider(t, idle), cache))
	if n := len(idle.Requests()); n != 0 || !res2.Servers[0].Cached || !res2.Verified() {
		t.Errorf("cached run = %d requests, cached %v, verified %v; want 0, true, true", n, res2.Servers[0].Cached, res2.Verified())
	}
	// A changed constitution misses the cache.
	again := llmtest.NewAnthropic(t, rulesTurn(ruleRead, ruleEscalate), scenariosTurn(f.home))
	cfg3 := f.config(provider(t, again), cache)
	cfg3.Constitution += " Be careful."
	if res3 := run(t, cfg3); res3.Servers[0].Cached || len(again.Requests()) != 2 {
		t.Errorf("changed constitution: cached %v, %d requests; want a fresh compile with 2", res3.Servers[0].Cached, len(again.Requests()))
	}
}

// TestJudgeBlamesScenario: a generated scenario whose expectation misreads
// the constitution is corrected by the judge, not the rules; the server then
// verifies with the rules unchanged.
func TestJudgeBlamesScenario(t *testing.T) {
	f := newFixture(t)
	wrongScenarios := call(toolScenarios, `{"scenarios":[`+
		`{"description":"read a doc","request":{"serverName":"fs","toolName":"read_file","arguments":{"path":"`+f.home+`/docs/a.txt"}},"expectedDecision":"allow","reasoning":"docs"},`+
		`{"description":"write tmp","request":{"serverName":"fs","toolName":"write_file","arguments":{"path":"/tmp/x","content":"y"}},"expectedDecision":"deny","reasoning":"misread"}]}`)
	srv := llmtest.NewAnthropic(t, rulesTurn(ruleRead, ruleEscalate), wrongScenarios,
		call(toolVerdicts, `{"verdicts":[{"index":0,"blame":"scenario","correctedDecision":"escalate","explanation":"the constitution asks for approval"}]}`))
	res := run(t, f.config(provider(t, srv), nil))
	s := res.Servers[0]
	if !s.Verified() || s.Calls != 3 {
		t.Fatalf("Run = verified %v, calls %d, failures %+v; want verified with 3 calls", s.Verified(), s.Calls, s.Failures)
	}
	found := false
	for _, sc := range s.Scenarios {
		if sc.Description == "write tmp" {
			found = true
			if sc.Expected != "escalate" || !strings.Contains(sc.Reasoning, "Corrected by the judge") {
				t.Errorf("corrected scenario = %+v", sc)
			}
		}
	}
	if !found {
		t.Error("the corrected scenario is missing")
	}
	if !strings.Contains(string(s.Rules[0].If), `"~/docs"`) {
		t.Errorf("rules changed: %s", s.Rules[0].If)
	}
}

func TestJudgeBlamesRuleAndPatchFixes(t *testing.T) {
	f := newFixture(t)
	srv := llmtest.NewAnthropic(t, rulesTurn(ruleReadBad, ruleEscalate), scenariosTurn(f.home),
		call(toolVerdicts, `{"verdicts":[{"index":0,"blame":"rule","explanation":"wrong directory"}]}`),
		call(toolPatch, `{"operations":[{"op":"update","name":"allow-read-docs","rule":`+ruleRead+`}]}`))
	res := run(t, f.config(provider(t, srv), nil))
	s := res.Servers[0]
	if !s.Verified() || s.Rounds != 1 || s.Calls != 4 || s.Usage.InputTokens != 40 {
		t.Fatalf("Run = verified %v, rounds %d, calls %d, usage %+v, failures %+v; want verified after 1 round, 4 calls, 40 input tokens",
			s.Verified(), s.Rounds, s.Calls, s.Usage, s.Failures)
	}
	if !strings.Contains(string(s.Rules[0].If), `"~/docs"`) {
		t.Errorf("patched rule = %s, want within ~/docs", s.Rules[0].If)
	}
}

func TestNeverVerifies(t *testing.T) {
	f := newFixture(t)
	turns := []llmtest.Turn{rulesTurn(ruleReadBad, ruleEscalate), scenariosTurn(f.home)}
	for range MaxRounds {
		turns = append(turns,
			call(toolVerdicts, `{"verdicts":[{"index":0,"blame":"rule","explanation":"wrong directory"}]}`),
			call(toolPatch, `{"operations":[{"op":"update","name":"allow-read-docs","rule":`+ruleReadBad+`}]}`))
	}
	srv := llmtest.NewAnthropic(t, turns...)
	res := run(t, f.config(provider(t, srv), nil))
	s := res.Servers[0]
	if res.Verified() || s.Rounds != MaxRounds || len(s.Failures) != 1 || s.Failures[0].Rule != policy.RuleDefaultDeny {
		t.Fatalf("Run = verified %v, rounds %d, failures %+v; want 1 default-deny failure after %d rounds", res.Verified(), s.Rounds, s.Failures, MaxRounds)
	}
	art, err := res.Render()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.home, "generated")
	if err := Deploy(dir, art, false); err == nil {
		t.Fatalf("Deploy(unverified) = nil, want a refusal")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("a refused deploy created %s", dir)
	}
	if err := Deploy(dir, art, true); err != nil {
		t.Fatalf("Deploy(accept failures) = %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, FailuresFile))
	if err != nil || !strings.Contains(string(data), "read a doc") {
		t.Errorf("%s = %q, %v; want the failing scenario recorded", FailuresFile, data, err)
	}
}

func TestRepairsInvalidAnswers(t *testing.T) {
	f := newFixture(t)
	badScenario := `{"scenarios":[{"description":"d","request":{"serverName":"fs","toolName":"read_file","arguments":{}},"expectedDecision":"maybe","reasoning":"r"}]}`
	srv := llmtest.NewAnthropic(t,
		call(toolRules, `{"rules":[{"name":"x"`), rulesTurn(ruleRead, ruleEscalate),
		call(toolScenarios, badScenario), scenariosTurn(f.home))
	res := run(t, f.config(provider(t, srv), nil))
	if s := res.Servers[0]; !s.Verified() || s.Calls != 4 {
		t.Fatalf("Run = verified %v, calls %d, err %q; want verified with 4 calls", s.Verified(), s.Calls, s.Err)
	}
	reqs := srv.Requests()
	if !strings.Contains(string(reqs[1].Body), "not valid JSON") || !strings.Contains(string(reqs[3].Body), "maybe") {
		t.Errorf("repair requests do not carry the errors: %s / %s", reqs[1].Body, reqs[3].Body)
	}
}

func TestInvalidTwiceFailsServer(t *testing.T) {
	f := newFixture(t)
	srv := llmtest.NewAnthropic(t, call(toolRules, `{"rules":[]}`), call(toolRules, `{"rules":[`+strings.Replace(ruleRead, "allow-read-docs", "structural-x", 1)+`]}`))
	res := run(t, f.config(provider(t, srv), nil))
	if s := res.Servers[0]; s.Verified() || !strings.Contains(s.Err, "reserved") {
		t.Fatalf("Run = verified %v, err %q; want a failed server naming the reserved rule name", s.Verified(), s.Err)
	}
	if art, err := res.Render(); err != nil || art.Failures == nil {
		t.Errorf("Render = %v, failures %v; want failures recorded", err, art)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	f := newFixture(t)
	srv := llmtest.NewAnthropic(t)
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no provider", func(c *Config) { c.Provider = nil }, "provider"},
		{"empty constitution", func(c *Config) { c.Constitution = "" }, "constitution"},
		{"unknown server", func(c *Config) { c.Servers = []string{"nope"} }, `"nope"`},
		{"bad cache", func(c *Config) { c.Cache = []byte(`{"version":1,"extra":1}`) }, CacheFile},
	} {
		cfg := f.config(provider(t, srv), nil)
		tc.edit(&cfg)
		if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Run = %v, want an error naming %s", tc.name, err, tc.want)
		}
	}
}
