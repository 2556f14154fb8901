package fetch

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// connect runs New(cfg) behind a real MCP client over in-memory
// transports and returns the client session.
func connect(t *testing.T, cfg Config) *mcp.ClientSession {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v) error = %v", cfg, err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatalf("server Connect: %v", err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "fetch-test", Version: "0"}, nil)
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatalf("client Connect: %v", err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
	})
	return cs
}

// call invokes a tool and returns its text and IsError. A protocol error
// fails the test: tool failures must be results.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool(%s, %v) protocol error = %v, want a result", tool, args, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		tc, ok := c.(*mcp.TextContent)
		if !ok {
			t.Fatalf("CallTool(%s, %v) content %T, want text", tool, args, c)
		}
		b.WriteString(tc.Text)
	}
	return b.String(), res.IsError
}

// body returns what follows the header lines of an http_fetch result.
func body(text string) string {
	_, b, _ := strings.Cut(text, "\n\n")
	return b
}

// fakeResolver answers from a table; unknown names do not exist.
type fakeResolver map[string][]netip.Addr

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// redirectDialer stands in for the internet: whatever checked address the
// guard dials, it connects to one local test server, and records the
// address it was asked for.
type redirectDialer struct {
	target string
	d      net.Dialer
	mu     sync.Mutex
	asked  []string
}

func (r *redirectDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	r.mu.Lock()
	r.asked = append(r.asked, address)
	r.mu.Unlock()
	return r.d.DialContext(ctx, network, r.target)
}

func (r *redirectDialer) addresses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.asked...)
}

// publicAddr is a globally routable address the fake resolver hands out;
// redirectDialer makes it lead to the test server.
var publicAddr = netip.MustParseAddr("93.184.215.14")
