package annotate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// fakeKey is built at run time so no key-shaped literal sits in the source.
func fakeKey() string { return strings.Join([]string{"fake", "annotate", "key"}, "-") }

func provider(t *testing.T, srv *llmtest.Server) llm.Provider {
	t.Helper()
	vars := map[string]string{"ANTHROPIC_API_KEY": fakeKey(), "ANTHROPIC_BASE_URL": srv.URL}
	p, err := llm.New("anthropic:claude-test", llm.Config{Getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var testTools = []ToolInfo{
	{Server: "fs", Name: "read_file", Description: "Read a file.", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"number"}},"required":["path"]}`)},
	{Server: "fs", Name: "move_file", Description: "Move a file.", InputSchema: json.RawMessage(`{"type":"object","properties":{"source":{"type":"string"},"destination":{"type":"string"}}}`)},
	{Server: "git", Name: "git_branch", Description: "List, create or delete branches.", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"operation":{"type":"string","enum":["list","create","delete"]},"name":{"type":"string"}}}`)},
	{Server: "fs", Name: "list_allowed", Description: "List roots.", InputSchema: json.RawMessage(`{"type":"object"}`)},
}

const (
	goodRead   = `{"server":"fs","tool":"read_file","comment":"Reads a file.","args":{"path":["read-path"],"head":["none"]}}`
	goodMove   = `{"server":"fs","tool":"move_file","comment":"Moves a file.","args":{"source":["read-path","delete-path"],"destination":["write-path"]}}`
	goodBranch = `{"server":"git","tool":"git_branch","comment":"Branches.","args":{"path":{"default":["read-path","write-history","delete-history"],"when":[{"condition":{"arg":"operation","equals":"list"},"roles":["read-path"]},{"condition":{"arg":"operation","in":["create"]},"roles":["read-path","write-history"]}]},"operation":["none"],"name":["branch-name"]}}`
)

func submit(entries ...string) llmtest.Turn {
	return llmtest.Turn{ToolCalls: []llmtest.ToolCall{{Name: submitTool, Input: `{"tools":[` + strings.Join(entries, ",") + `]}`}}}
}

func fixedNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestRunOneRound(t *testing.T) {
	srv := llmtest.NewAnthropic(t, submit(goodBranch, goodMove, goodRead))
	var log bytes.Buffer
	res, err := Run(context.Background(), Config{Provider: provider(t, srv), Tools: testTools, Log: &log, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 1 {
		t.Errorf("Calls = %d, want 1", res.Calls)
	}
	wantAnnotated := []string{"fs/list_allowed", "fs/move_file", "fs/read_file", "git/git_branch"}
	slices.Sort(res.Annotated)
	if !slices.Equal(res.Annotated, wantAnnotated) || len(res.Failed) != 0 {
		t.Errorf("Annotated = %v, Failed = %v, want %v and none", res.Annotated, res.Failed, wantAnnotated)
	}
	ann, err := policy.ParseAnnotations("out", res.File)
	if err != nil {
		t.Fatalf("ParseAnnotations(result) = %v", err)
	}
	br := ann.Lookup("git", "git_branch")
	if br == nil || len(br.Args) != 3 || br.Args[0].Name != "path" || len(br.Args[0].When) != 2 {
		t.Fatalf("git_branch annotation = %+v, want path with two conditions first", br)
	}
	if ann.Lookup("fs", "list_allowed") == nil {
		t.Errorf("tool without arguments was not annotated")
	}
	// The request shows the tools and offers only the submit tool.
	reqs := srv.Requests()
	var body struct {
		Tools []struct{ Name string } `json:"tools"`
	}
	if err := reqs[0].Decode(&body); err != nil || len(body.Tools) != 1 || body.Tools[0].Name != submitTool {
		t.Errorf("request tools = %+v (%v), want only %s", body.Tools, err, submitTool)
	}
	if !bytes.Contains(reqs[0].Body, []byte("git_branch")) {
		t.Errorf("request does not show git_branch")
	}
	// One log line per request, and no key in it.
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("log has %d lines, want 1", len(lines))
	}
	if strings.Contains(log.String(), fakeKey()) {
		t.Errorf("interactions log contains the API key")
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil || line["response"] == nil || line["request"] == nil {
		t.Errorf("log line = %v (%v), want request and response", line, err)
	}
}

func TestRunRepair(t *testing.T) {
	badRead := `{"server":"fs","tool":"read_file","comment":"x","args":{"path":["read-file"]}}`
	badBranch := `{"server":"git","tool":"git_branch","comment":"x","args":{"path":{"default":["read-path"],"when":[{"condition":{"arg":"operation","equals":"create"},"roles":["write-history"]}]},"operation":["none"],"name":["branch-name"]}}`
	repair := submit(goodRead, goodBranch)
	repair.Check = func(r llmtest.Request) error {
		for _, want := range []string{`unknown role \"read-file\"`, "args.head: missing", "not in default", "tool_result"} {
			if !bytes.Contains(r.Body, []byte(want)) {
				return fmt.Errorf("repair request lacks %q", want)
			}
		}
		return nil
	}
	srv := llmtest.NewAnthropic(t, submit(badRead, goodMove, badBranch), repair)
	res, err := Run(context.Background(), Config{Provider: provider(t, srv), Tools: testTools, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 2 || len(res.Failed) != 0 || len(res.Annotated) != 4 {
		t.Errorf("Calls, Failed, Annotated = %d, %v, %v; want 2, none, 4", res.Calls, res.Failed, res.Annotated)
	}
}

func TestRunStaysInvalid(t *testing.T) {
	badRead := `{"server":"fs","tool":"read_file","comment":"x","args":{"path":["read-path","fetch-url"],"head":["none"]}}`
	srv := llmtest.NewAnthropic(t, submit(badRead, goodMove, goodBranch), submit(badRead))
	res, err := Run(context.Background(), Config{Provider: provider(t, srv), Tools: testTools, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Failed, []string{"fs/read_file"}) || res.Reasons["fs/read_file"] == "" {
		t.Fatalf("Failed = %v, Reasons = %v, want fs/read_file with a reason", res.Failed, res.Reasons)
	}
	ann, err := policy.ParseAnnotations("out", res.File)
	if err != nil {
		t.Fatal(err)
	}
	if ann.Lookup("fs", "read_file") != nil {
		t.Errorf("invalid tool was written to the file")
	}
	if ann.Lookup("fs", "move_file") == nil {
		t.Errorf("valid tool of the same batch is missing")
	}
}

func TestRunNoToolCallAnswer(t *testing.T) {
	srv := llmtest.NewAnthropic(t, llmtest.Turn{Text: []string{"Here you go: path is read-path"}}, submit(goodRead))
	res, err := Run(context.Background(), Config{Provider: provider(t, srv), Tools: testTools[:1], Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 2 || len(res.Annotated) != 1 {
		t.Errorf("Calls, Annotated = %d, %v; want 2, [fs/read_file]", res.Calls, res.Annotated)
	}
}

func TestRunReuse(t *testing.T) {
	srv := llmtest.NewAnthropic(t, submit(goodBranch, goodMove, goodRead))
	p := provider(t, srv)
	first, err := Run(context.Background(), Config{Provider: p, Tools: testTools, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	// Same tools, other order: no request (the server has no turns left).
	reversed := slices.Clone(testTools)
	slices.Reverse(reversed)
	again, err := Run(context.Background(), Config{Provider: p, Tools: reversed, Existing: first.File})
	if err != nil {
		t.Fatal(err)
	}
	if again.Calls != 0 || len(again.Reused) != 4 || !bytes.Equal(again.File, first.File) {
		t.Errorf("rerun: Calls = %d, Reused = %v, file changed = %v; want 0, 4, false", again.Calls, again.Reused, !bytes.Equal(again.File, first.File))
	}
}

func TestRunReannotatesChangedTool(t *testing.T) {
	srv := llmtest.NewAnthropic(t, submit(goodBranch, goodMove, goodRead), submit(`{"server":"fs","tool":"read_file","comment":"Reads.","args":{"path":["read-path"],"head":["none"],"tail":["none"]}}`))
	p := provider(t, srv)
	first, err := Run(context.Background(), Config{Provider: p, Tools: testTools, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	changed := slices.Clone(testTools)
	changed[0].InputSchema = json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"head":{"type":"number"},"tail":{"type":"number"}}}`)
	res, err := Run(context.Background(), Config{Provider: p, Tools: changed, Existing: first.File, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 1 || !slices.Equal(res.Annotated, []string{"fs/read_file"}) || len(res.Reused) != 3 {
		t.Errorf("Calls, Annotated, Reused = %d, %v, %v; want 1, [fs/read_file], 3 reused", res.Calls, res.Annotated, res.Reused)
	}
}

func TestRunKeepsOtherServers(t *testing.T) {
	srv := llmtest.NewAnthropic(t, submit(goodBranch, goodMove, goodRead), submit(goodMove), submit(goodRead))
	p := provider(t, srv)
	first, err := Run(context.Background(), Config{Provider: p, Tools: testTools, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	// Only fs, with read_file's description changed: the file cannot say
	// which tool's description changed, so fs is annotated again (one tool
	// per batch); git is kept as it was.
	fsOnly := []ToolInfo{testTools[0], testTools[1], testTools[3]}
	fsOnly[0].Description = "Read a file, now differently."
	res, err := Run(context.Background(), Config{Provider: p, Tools: fsOnly, Existing: first.File, BatchSize: 1, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.ParseAnnotations("out", res.File)
	if err != nil {
		t.Fatal(err)
	}
	if ann.Lookup("git", "git_branch") == nil {
		t.Errorf("git server was dropped")
	}
	if res.Calls != 2 || len(res.Annotated) != 3 {
		t.Errorf("Calls, Annotated = %d, %v; want 2, all three fs tools", res.Calls, res.Annotated)
	}
}

func TestRunErrors(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	p := provider(t, srv)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no provider", Config{}, "no LLM provider"},
		{"duplicate tool", Config{Provider: p, Tools: []ToolInfo{testTools[3], testTools[3]}}, "listed twice"},
		{"bad existing", Config{Provider: p, Existing: []byte(`{"servers":{"fs":{"tools":[{"toolName":"x","args":{"a":["bogus"]}}]}}}`)}, "unknown role"},
	} {
		_, err := Run(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Run() = %v, want error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestRunBadSchemaFailsWithoutCall(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	res, err := Run(context.Background(), Config{Provider: provider(t, srv), Tools: []ToolInfo{{Server: "s", Name: "t", InputSchema: json.RawMessage(`[1]`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 0 || !slices.Equal(res.Failed, []string{"s/t"}) {
		t.Errorf("Calls, Failed = %d, %v; want 0, [s/t]", res.Calls, res.Failed)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "generated", "tool-annotations.json")
	good := []byte(`{"servers":{"fs":{"tools":[{"toolName":"x","args":{}}]}}}`)
	if err := WriteFile(path, good); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte(`{"servers":{"fs":{"tools":[{"toolName":"x","args":{"a":["bogus"]}}]}}}`)); err == nil {
		t.Errorf("WriteFile(invalid) = nil, want error")
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, good) {
		t.Errorf("file = %q, %v; want the first, valid content", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want only the file (no temporaries)", len(entries))
	}
}

func TestRolesMatchPolicy(t *testing.T) {
	names := strings.Split(policy.RoleNames(), ", ")
	got := roleNames()
	slices.Sort(names)
	slices.Sort(got)
	if !slices.Equal(got, names) {
		t.Errorf("prompt roles = %v, want policy's %v", got, names)
	}
}

// TestRunOpenAIRepair drives the OpenAI client through a repair round: the
// tool-result turn must be well formed in that dialect too.
func TestRunOpenAIRepair(t *testing.T) {
	srv := llmtest.NewOpenAI(t, submit(`{"server":"fs","tool":"read_file","comment":"x","args":{"path":["read-path"]}}`), submit(goodRead))
	vars := map[string]string{"OPENAI_API_KEY": fakeKey(), "OPENAI_BASE_URL": srv.URL}
	p, err := llm.New("openai:gpt-test", llm.Config{Getenv: func(k string) string { return vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Config{Provider: p, Tools: testTools[:1], Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Calls != 2 || !slices.Equal(res.Annotated, []string{"fs/read_file"}) {
		t.Errorf("Calls, Annotated = %d, %v; want 2, [fs/read_file]", res.Calls, res.Annotated)
	}
}
