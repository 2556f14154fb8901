package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/servers/filesystem"
)

// The test binary doubles as a real MCP server on stdio: the manager tests
// start it as a child process, so everything between gateway and server is
// real (process, pipes, SDK on both ends).
const childEnv = "IRONCURTAIN_GATEWAY_TEST_SERVER"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "1":
		runTestServer()
		return
	case "filesystem":
		runBundledFilesystem(os.Getenv(childEnv + "_ROOT"))
		return
	}
	os.Exit(m.Run())
}

func runTestServer() {
	srv := mcp.NewServer(&mcp.Implementation{Name: "testserver", Version: "1"}, nil)
	obj := func(props string, required ...string) json.RawMessage {
		req, _ := json.Marshal(required)
		return json.RawMessage(`{"type":"object","properties":{` + props + `},"required":` + string(req) + `,"additionalProperties":false}`)
	}
	text := func(s string) *mcp.CallToolResult {
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: s}}}
	}
	srv.AddTool(&mcp.Tool{Name: "echo", InputSchema: obj(`"path":{"type":"string"},"count":{"type":"integer"}`, "path")},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return text(string(req.Params.Arguments)), nil
		})
	srv.AddTool(&mcp.Tool{Name: "env", InputSchema: obj(``)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var names []string
			for _, kv := range os.Environ() {
				names = append(names, strings.SplitN(kv, "=", 2)[0])
			}
			sort.Strings(names)
			return text(strings.Join(names, ",")), nil
		})
	srv.AddTool(&mcp.Tool{Name: "pid", InputSchema: obj(``)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return text(fmt.Sprint(os.Getpid())), nil
		})
	srv.AddTool(&mcp.Tool{Name: "big", InputSchema: obj(`"size":{"type":"integer"}`, "size")},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var a struct{ Size int }
			_ = json.Unmarshal(req.Params.Arguments, &a)
			return text(strings.Repeat("x", a.Size/2) + strings.Repeat("y", a.Size-a.Size/2)), nil
		})
	srv.AddTool(&mcp.Tool{Name: "crash", InputSchema: obj(``)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			os.Exit(3)
			return nil, nil
		})
	srv.AddTool(&mcp.Tool{Name: "hang", InputSchema: obj(``)},
		func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
	srv.AddTool(&mcp.Tool{Name: "fail", InputSchema: obj(``)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "it broke"}}}, nil
		})
	if err := srv.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		os.Exit(1)
	}
}

// runBundledFilesystem serves the bundled filesystem server, exactly as
// `ironcurtain serve-mcp filesystem` does, for the roots test and the
// pipeline benchmark.
func runBundledFilesystem(root string) {
	fs, err := filesystem.New(filesystem.Config{Roots: []string{root}})
	if err != nil {
		os.Exit(1)
	}
	if err := fs.MCP().Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		os.Exit(1)
	}
}

// testServerConfig runs this test binary as an MCP server named name.
func testServerEnv(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{childEnv: "1", "NAMED_FOR_SERVER": "yes"}
}
