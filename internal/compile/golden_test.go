package compile

// The golden test compiles the default constitution for the bundled
// servers (filesystem, git, fetch) against a recorded provider transcript
// and compares the artifacts with testdata/golden byte for byte. The
// transcript, testdata/golden/transcript.json, holds each server's model
// answers in the order that server asks for them; it is replayed through
// one scripted Anthropic endpoint per server, so the real SDK client and
// wire protocol are used and the servers' parallelism cannot reorder turns.
//
// After an intended change to prompts, the pipeline or the default policy:
//
//	go test ./internal/compile -run Golden -update
//
// rewrites the golden artifacts from the existing transcript. To re-record
// the transcript from a real provider (costs money; never runs by default):
//
//	ANTHROPIC_API_KEY=... go test ./internal/compile -run Golden -record
//
// which compiles against the model named in the transcript, rewrites the
// transcript and the golden artifacts, and reports (without failing) any
// server the real model's rules did not verify. Review the diff before
// committing: a recorded answer is only as good as the model that gave it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/llm/llmtest"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

var (
	update = flag.Bool("update", false, "rewrite the golden artifacts in testdata/golden")
	record = flag.Bool("record", false, "re-record testdata/golden/transcript.json from the real provider (needs ANTHROPIC_API_KEY)")
)

const goldenDir = "testdata/golden"

// Fixed paths: they appear in prompts and scenarios, so they must not
// depend on the machine. Nothing exists there, which the engine handles as
// missing tails.
const (
	goldenHome    = "/home/golden"
	goldenSandbox = goldenHome + "/.ironcurtain/sandbox"
)

// transcript is the recorded provider side of one full compile.
type transcript struct {
	Model   string                       `json:"model"`
	Servers map[string][]transcriptEntry `json:"servers"`
}

// transcriptEntry is one answer: the tool the request offered and the
// input the model called it with (nil when it answered with text only).
type transcriptEntry struct {
	Tool         string          `json:"tool"`
	Input        json.RawMessage `json:"input,omitempty"`
	Text         string          `json:"text,omitempty"`
	InputTokens  int64           `json:"inputTokens"`
	OutputTokens int64           `json:"outputTokens"`
}

// The server a request belongs to: rules and scenario prompts name it, a
// judge or patch prompt quotes its failing scenarios, a list prompt names
// a list its rules defined.
var (
	serverLine   = regexp.MustCompile(`Server: "([^"]+)"`)
	scenarioLine = regexp.MustCompile(`"serverName": "([^"]+)"`)
	listLine     = regexp.MustCompile(`^List "([^"]+)"`)
)

// router sends each request to its server's provider, so every server
// sees its own answers in its own order whatever the scheduling.
type router struct {
	name     string
	byServer map[string]llm.Provider
	// record, if not nil, is told about every answer.
	record func(server string, req llm.Request, resp *llm.Response)

	mu        sync.Mutex        // guards listOwner
	listOwner map[string]string // list name -> server whose rules defined it
}

func (r *router) Name() string { return r.name }

func (r *router) Complete(ctx context.Context, req llm.Request) (*llm.Response, error) {
	server, err := r.serverOf(req)
	if err != nil {
		return nil, err
	}
	p := r.byServer[server]
	if p == nil {
		return nil, fmt.Errorf("golden: no provider for server %q", server)
	}
	resp, err := p.Complete(ctx, req)
	if err != nil {
		return nil, err
	}
	for _, u := range resp.ToolUses() {
		if u.ToolName != toolRules {
			continue
		}
		var ans struct {
			Defs []ListDefinition `json:"listDefinitions"`
		}
		if json.Unmarshal(u.Input, &ans) == nil {
			r.mu.Lock()
			for _, d := range ans.Defs {
				r.listOwner[d.Name] = server
			}
			r.mu.Unlock()
		}
	}
	if r.record != nil {
		r.record(server, req, resp)
	}
	return resp, nil
}

func (r *router) serverOf(req llm.Request) (string, error) {
	if len(req.Messages) == 0 || len(req.Messages[0].Parts) == 0 {
		return "", errors.New("golden: request without a user message")
	}
	text := req.Messages[0].Parts[0].Text
	if m := serverLine.FindStringSubmatch(text); m != nil {
		return m[1], nil
	}
	if m := scenarioLine.FindStringSubmatch(text); m != nil {
		return m[1], nil
	}
	if m := listLine.FindStringSubmatch(text); m != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		if s, ok := r.listOwner[m[1]]; ok {
			return s, nil
		}
	}
	return "", fmt.Errorf("golden: cannot tell which server this request is for: %.80q", text)
}

// replayTurns scripts one server's answers, checking that each request
// offers the tool the recorded answer calls.
func replayTurns(t *testing.T, server string, entries []transcriptEntry) []llmtest.Turn {
	turns := make([]llmtest.Turn, len(entries))
	for i, e := range entries {
		tu := llmtest.Turn{InputTokens: e.InputTokens, OutputTokens: e.OutputTokens}
		if e.Input != nil {
			tu.ToolCalls = []llmtest.ToolCall{{Name: e.Tool, Input: string(e.Input)}}
		} else {
			tu.Text = []string{e.Text}
		}
		tu.Check = func(req llmtest.Request) error {
			var body struct {
				Tools []struct {
					Name string `json:"name"`
				} `json:"tools"`
			}
			if err := req.Decode(&body); err != nil {
				return err
			}
			if len(body.Tools) != 1 || body.Tools[0].Name != e.Tool {
				return fmt.Errorf("%s request %d offers %+v, transcript answers with %s", server, i, body.Tools, e.Tool)
			}
			return nil
		}
		turns[i] = tu
	}
	return turns
}

func readTranscript(t *testing.T) *transcript {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(goldenDir, "transcript.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr transcript
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tr); err != nil {
		t.Fatalf("transcript.json: %v", err)
	}
	return &tr
}

// replayProvider serves the transcript, one scripted endpoint per server.
func replayProvider(t *testing.T, tr *transcript) llm.Provider {
	t.Helper()
	r := &router{name: tr.Model, byServer: map[string]llm.Provider{}, listOwner: map[string]string{}}
	for server, entries := range tr.Servers {
		srv := llmtest.NewAnthropic(t, replayTurns(t, server, entries)...)
		vars := map[string]string{"ANTHROPIC_API_KEY": fakeKey(), "ANTHROPIC_BASE_URL": srv.URL}
		p, err := llm.New(tr.Model, llm.Config{Getenv: func(k string) string { return vars[k] }})
		if err != nil {
			t.Fatal(err)
		}
		r.byServer[server] = p
	}
	if r.name == "" && len(r.byServer) > 0 {
		t.Fatal("transcript.json: no model")
	}
	return r
}

// recordingProvider talks to the real provider and collects a new
// transcript.
func recordingProvider(t *testing.T, model string, servers []string) (llm.Provider, func() *transcript) {
	t.Helper()
	live, err := llm.New(model, llm.Config{Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	tr := &transcript{Model: model, Servers: map[string][]transcriptEntry{}}
	var mu sync.Mutex
	r := &router{name: live.Name(), byServer: map[string]llm.Provider{}, listOwner: map[string]string{}}
	for _, s := range servers {
		r.byServer[s] = live
	}
	r.record = func(server string, req llm.Request, resp *llm.Response) {
		e := transcriptEntry{Tool: req.Tools[0].Name, InputTokens: resp.Usage.InputTokens, OutputTokens: resp.Usage.OutputTokens}
		for _, u := range resp.ToolUses() {
			if u.ToolName == e.Tool {
				e.Input = u.Input
				break
			}
		}
		if e.Input == nil {
			for _, p := range resp.Parts {
				e.Text += p.Text
			}
		}
		mu.Lock()
		defer mu.Unlock()
		tr.Servers[server] = append(tr.Servers[server], e)
	}
	return r, func() *transcript { return tr }
}

func TestGoldenDefaultConstitution(t *testing.T) {
	constitution, err := defaultpolicy.Read(defaultpolicy.Constitution)
	if err != nil {
		t.Fatal(err)
	}
	annData, err := defaultpolicy.Read(defaultpolicy.Annotations)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.ParseAnnotations(defaultpolicy.Annotations, annData)
	if err != nil {
		t.Fatal(err)
	}
	var servers []string
	for _, tool := range ann.Tools() {
		if !slices.Contains(servers, tool.Server) {
			servers = append(servers, tool.Server)
		}
	}
	slices.Sort(servers)

	tr := readTranscript(t)
	var p llm.Provider
	var recorded func() *transcript
	if *record {
		if os.Getenv("ANTHROPIC_API_KEY") == "" {
			t.Skip("-record needs ANTHROPIC_API_KEY to talk to the real provider")
		}
		p, recorded = recordingProvider(t, tr.Model, servers)
	} else {
		p = replayProvider(t, tr)
	}

	res, err := Run(t.Context(), Config{
		Provider: p, Constitution: string(constitution), Annotations: ann, Servers: servers,
		Home: goldenHome, Sandbox: goldenSandbox, Protected: []string{goldenHome + "/.ironcurtain"},
		MaxConcurrent: 1,
		Now:           func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, s := range res.Servers {
		// Every recorded answer is asked for (llmtest also fails on unused
		// turns); the filesystem transcript holds one judge/patch round.
		if want := len(tr.Servers[s.Server]); !*record && s.Calls != want {
			t.Errorf("%s: Calls = %d, want %d (the transcript's answers)", s.Server, s.Calls, want)
		}
		if !*record && s.Server == "filesystem" && s.Rounds != 1 {
			t.Errorf("filesystem: Rounds = %d, want 1 (the recorded judge/patch round)", s.Rounds)
		}
		if !s.Verified() {
			msg := fmt.Sprintf("%s did not verify: err %q, %d failures %+v", s.Server, s.Err, len(s.Failures), s.Failures)
			if *record {
				t.Log(msg) // a real model's answers are recorded as they are
			} else {
				t.Error(msg)
			}
		}
	}
	art, err := res.Render()
	if err != nil {
		t.Fatalf("Render = %v", err)
	}
	if *record {
		b, err := json.MarshalIndent(recorded(), "", " ")
		if err != nil {
			t.Fatal(err)
		}
		writeGolden(t, "transcript.json", append(b, '\n'))
	}
	files := []struct {
		name string
		got  []byte
	}{{PolicyFile, art.Policy}, {ScenarioFile, art.Scenarios}, {ListsFile, art.Lists}}
	for _, f := range files {
		if *update || *record {
			writeGolden(t, f.name, f.got)
			continue
		}
		want, err := os.ReadFile(filepath.Join(goldenDir, f.name))
		if err != nil && !(os.IsNotExist(err) && f.got == nil) {
			t.Errorf("%s: %v (run with -update to create it)", f.name, err)
			continue
		}
		if !bytes.Equal(f.got, want) {
			t.Errorf("Render().%s differs from %s/%s (%d bytes, want %d); run with -update if the change is intended",
				f.name, goldenDir, f.name, len(f.got), len(want))
		}
	}
}

// writeGolden writes one golden file; data nil removes it, as Render
// produces no lists file when no rule uses a list.
func writeGolden(t *testing.T, name string, data []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if data == nil {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
