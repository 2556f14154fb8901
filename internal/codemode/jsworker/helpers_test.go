package jsworker

import (
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// testTools is a small tool list shaped like the bundled servers'.
func testTools() []runnerproto.ToolSpec {
	return []runnerproto.ToolSpec{
		{Server: "filesystem", Name: "read_file", Description: "Read a file.\nReturns its text.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string","description":"File to read."},"tail":{"type":"number"},"head":{"type":"number"}},"required":["path"]}`)},
		{Server: "filesystem", Name: "write_file", Description: "Write a file.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}`)},
		{Server: "git", Name: "git_status", Description: "Show the working tree status.",
			InputSchema: json.RawMessage(`{"type":"object","properties":{"repo_path":{"type":"string"}}}`)},
		{Server: "my-server", Name: "do-it", Description: "A tool whose names are not identifiers."},
	}
}

// server answers the worker's tool calls in a test. A nil result from
// answer means "write raw instead".
type server struct {
	tools  []runnerproto.ToolSpec // nil means testTools()
	answer func(c *runnerproto.ToolCall) *runnerproto.ToolResult
	raw    func(c *runnerproto.ToolCall) []byte // a whole line, newline included
}

// echo answers every call with the text "server.tool <args>".
func echo(c *runnerproto.ToolCall) *runnerproto.ToolResult {
	return textResult(c.ID, c.Server+"."+c.Tool+" "+string(c.Args))
}

func textResult(id uint64, text string) *runnerproto.ToolResult {
	content, _ := json.Marshal([]map[string]string{{"type": "text", "text": text}})
	return &runnerproto.ToolResult{ID: id, Content: content}
}

type runOutcome struct {
	done  runnerproto.Done
	calls []runnerproto.ToolCall
}

// runScript runs code through Run in this process over pipes, playing the
// parent, and returns the Done and the calls the worker made.
func runScript(t testing.TB, code string, limits runnerproto.Limits, srv server) runOutcome {
	t.Helper()
	toWorkerR, toWorkerW := io.Pipe()
	fromWorkerR, fromWorkerW := io.Pipe()
	runErr := make(chan error, 1)
	go func() {
		err := Run(toWorkerR, fromWorkerW)
		fromWorkerW.Close()
		runErr <- err
	}()
	defer func() {
		toWorkerW.Close()
		if err := <-runErr; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	enc := runnerproto.NewEncoder(toWorkerW)
	tools := srv.tools
	if tools == nil {
		tools = testTools()
	}
	start := &runnerproto.Start{Code: code, Tools: tools, Limits: limits}
	go func() {
		if err := enc.Encode(&runnerproto.Message{Type: runnerproto.TypeStart, Start: start}); err != nil {
			t.Errorf("send start: %v", err)
		}
	}()
	dec := runnerproto.NewDecoder(fromWorkerR)
	var out runOutcome
	for {
		m, err := dec.Decode()
		if err != nil {
			t.Fatalf("read from worker: %v", err)
		}
		switch m.Type {
		case runnerproto.TypeDone:
			out.done = *m.Done
			if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
				t.Errorf("after done: %v, want EOF", err)
			}
			return out
		case runnerproto.TypeToolCall:
			out.calls = append(out.calls, *m.Call)
			answer := srv.answer
			if answer == nil {
				answer = echo
			}
			if r := answer(m.Call); r != nil {
				if err := enc.Encode(&runnerproto.Message{Type: runnerproto.TypeToolResult, Result: r}); err != nil {
					t.Fatalf("send result: %v", err)
				}
				continue
			}
			if _, err := toWorkerW.Write(srv.raw(m.Call)); err != nil {
				t.Fatalf("send raw result: %v", err)
			}
		default:
			t.Fatalf("worker sent a %q message", m.Type)
		}
	}
}
