package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// FuzzLineConn: whatever a client sends, the connection never panics,
// every message it passes on decodes, and everything it writes back (errors,
// and answers of the fast path, which knows one tool and accepts calls with
// no _meta or newProtoMeta) is one line of valid JSON.
func FuzzLineConn(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n" + `{bad` + "\n"))
	f.Add([]byte("\xff\xfe\n\n   \n" + `[1]` + "\n"))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"s__t","arguments":{"a":1}}}` + "\n" +
		`{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"_meta":` + newProtoMeta + `,"name":"s__t"}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"x"}}` + "\n"))
	fast := &fastTools{tools: map[string][2]string{"s__t": {"s", "t"}}, impl: &mcp.Implementation{Name: "n", Version: "1"},
		call: func(_ context.Context, _, _ string, args json.RawMessage) (*mcp.CallToolResult, error) {
			if len(args) > 3 {
				return nil, errors.New("no")
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(args)}}}, nil
		}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		conn, _ := (&lineTransport{r: bytes.NewReader(data), w: &out, fast: fast}).Connect(context.Background())
		lc := conn.(*lineConn)
		lc.fast.accepted[""] = envelope{}
		lc.fast.accepted[newProtoMeta] = envelope{serverInfo: true, resultType: true}
		for i := 0; i < 1000; i++ {
			if _, err := conn.Read(context.Background()); err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("Read error %v", err)
				}
				break
			}
		}
		lc.fast.wg.Wait()
		conn.Close() // its idle workers go too
		for _, line := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
			if len(line) > 0 && !json.Valid(line) {
				t.Fatalf("error response is not JSON: %q", line)
			}
		}
	})
}
