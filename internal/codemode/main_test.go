package codemode

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/cage"
	"github.com/ironcurtain/ironcurtain-go/internal/codemode/jsworker"
	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// The test binary is its own worker: re-executed with one of these
// arguments it becomes the real worker, the real worker behind the
// cage's lockdown, or a fake worker that misbehaves on purpose.
const (
	modeWorker = "__jsworker"
	modeCaged  = "__jsworker_caged"
	modeFake   = "__fakeworker"
)

func TestMain(m *testing.M) {
	if len(os.Args) >= 2 {
		switch os.Args[1] {
		case modeWorker:
			os.Exit(runWorker())
		case modeCaged:
			if err := lockdown(); err != nil {
				fmt.Fprintln(os.Stderr, "lockdown:", err)
				os.Exit(3)
			}
			os.Exit(runWorker())
		case modeFake:
			os.Exit(fakeWorker(os.Args[2]))
		}
	}
	os.Exit(m.Run())
}

func runWorker() int {
	if err := jsworker.Run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// lockdown applies what the code worker's subcommand applies: no
// filesystem, no sockets, no new processes. The address-space limit sits
// above what is mapped already, which under the race detector is a lot.
func lockdown() error {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	var vmKB uint64
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmSize:"); ok {
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &vmKB)
		}
	}
	_, err = cage.Lockdown{
		Rlimits:          cage.Rlimits{AddressSpace: vmKB<<10 + 4<<30, CPUSeconds: 60, OpenFiles: 64, Processes: 4096},
		DropCapabilities: true,
		NoNewPrivs:       true,
		Landlock:         true,
		Seccomp:          cage.DefaultWorkerSeccomp(),
	}.Apply()
	return err
}

// fakeWorker reads the Start and then does what behaviour says a hostile
// worker would.
func fakeWorker(behaviour string) int {
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadBytes('\n'); err != nil {
		return 2
	}
	out := os.Stdout
	write := func(line string) { fmt.Fprintln(out, line) }
	call := func(id int, server, tool, args string) {
		write(fmt.Sprintf(`{"type":"tool_call","call":{"id":%d,"server":%q,"tool":%q,"args":%s}}`, id, server, tool, args))
	}
	done := `{"type":"done","done":{"value":1}}`
	switch behaviour {
	case "garbage":
		write("this is not JSON")
	case "oversized":
		out.WriteString(`{"type":"done","done":{"error":"` + strings.Repeat("a", runnerproto.MaxMessageSize+10))
	case "invalid-utf8":
		write("{\"type\":\"done\",\"done\":{\"error\":\"\xff\"}}")
	case "unknown-id":
		call(7, "fs", "read", `{}`)
	case "unknown-tool":
		call(1, "fs", "format_disk", `{}`)
	case "array-args":
		call(1, "fs", "read", `["a"]`)
	case "too-many-calls":
		for i := 1; i <= 3; i++ {
			call(i, "fs", "read", `{}`)
			if _, err := in.ReadBytes('\n'); err != nil {
				return 2
			}
		}
	case "after-done":
		write(done)
		write(done)
	case "huge-result":
		write(`{"type":"done","done":{"value":"` + strings.Repeat("x", 2000) + `"}}`)
	case "bad-kind":
		write(`{"type":"done","done":{"kind":"allow","error":"x"}}`)
	case "bad-level":
		write(`{"type":"done","done":{"console":[{"level":"\u001b[31m","text":"x"}]}}`)
	case "start-back":
		write(`{"type":"start","start":{"code":"","tools":[],"limits":{"memoryBytes":0,"timeoutMillis":0,"maxResult":0,"maxToolCalls":0,"maxConsole":0}}}`)
	case "hang":
		_, _ = io.Copy(io.Discard, in) // the parent never closes stdin before done
	case "crash":
		fmt.Fprintln(os.Stderr, "fatal error: pretend stack overflow\ngoroutine 1 [running]:")
		return 2
	case "silent-exit":
		return 0
	case "honest":
		call(1, "fs", "read", `{"path":"a"}`)
		if _, err := in.ReadBytes('\n'); err != nil {
			return 2
		}
		write(done)
	}
	return 0
}

// self is how tests point a Config at this binary.
func self(t testing.TB, mode string, extra ...string) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		WorkerPath: exe,
		WorkerArgs: append([]string{mode}, extra...),
		Tools:      testTools(),
		Call:       echoTool,
		Spawn:      InsecureUncaged(),
	}
}

func testTools() []runnerproto.ToolSpec {
	return []runnerproto.ToolSpec{
		{Server: "fs", Name: "read", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)},
		{Server: "fs", Name: "write", InputSchema: json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}`)},
		{Server: "git", Name: "git_push"},
	}
}

// echoTool answers with the text "server.tool args"; fs.read of a path
// under /secret is denied, git push is an error.
func echoTool(_ context.Context, server, tool string, args json.RawMessage) runnerproto.ToolResult {
	var a struct{ Path string }
	_ = json.Unmarshal(args, &a)
	switch {
	case strings.HasPrefix(a.Path, "/secret"):
		return runnerproto.ToolResult{Denied: "protected path " + a.Path}
	case tool == "git_push":
		return runnerproto.ToolResult{Error: "escalation refused"}
	}
	return textResult(server + "." + tool + " " + string(args))
}

func textResult(text string) runnerproto.ToolResult {
	content, _ := json.Marshal([]map[string]string{{"type": "text", "text": text}})
	return runnerproto.ToolResult{Content: content}
}
