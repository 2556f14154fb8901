package gateway

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// BenchmarkReadFile measures what the gateway adds to one small read_file:
// "direct" is an MCP client talking to the bundled filesystem server (a
// child process over stdio); "gateway" is an MCP client talking to the
// gateway over OS pipes, which validates, decides under the default policy,
// writes and fsyncs an audit record, and forwards to the same kind of
// child. Both report the median and 99th percentile per call.
func BenchmarkReadFile(b *testing.B) {
	home, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sandbox := filepath.Join(home, ".ironcurtain", "sandbox")
	if err := os.MkdirAll(sandbox, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sandbox, "small.txt"), []byte("hello, gateway\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	serverEnv := map[string]string{childEnv: "filesystem", childEnv + "_ROOT": sandbox}
	args := map[string]any{"path": filepath.Join(sandbox, "small.txt")}

	b.Run("direct", func(b *testing.B) {
		cmd := exec.Command(self)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), childEnv + "=filesystem", childEnv + "_ROOT=" + sandbox}
		client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
		sess, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer sess.Close()
		measure(b, func() error {
			_, err := sess.CallTool(context.Background(), &mcp.CallToolParams{Name: "read_text_file", Arguments: args})
			return err
		})
	})

	b.Run("gateway", func(b *testing.B) {
		eng := defaultEngine(b, home, sandbox)
		parent := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "LANG": "C"}
		mgr, err := StartServers(context.Background(), ManagerConfig{
			Servers: config.Servers{{Name: "filesystem", Command: self, Env: serverEnv}},
			Getenv:  func(k string) string { return parent[k] },
		})
		if err != nil {
			b.Fatal(err)
		}
		defer mgr.Close()
		log, err := audit.Open(filepath.Join(home, ".ironcurtain", "audit.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		defer log.Close()
		broker, err := escalate.New(escalate.Config{Home: filepath.Join(home, ".ironcurtain"), SessionID: "bench", Timeout: 5 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		gw, err := New(Config{Servers: mgr, Engine: eng, Audit: log, Approver: broker, SessionID: "bench", BreakerLimit: 1 << 30})
		if err != nil {
			b.Fatal(err)
		}
		// The client reaches the gateway over OS pipes, as a client that
		// starts `ironcurtain gateway` does.
		cr, sw, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		sr, cw, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go ServeStdio(ctx, gw.MCPServer(eng), sr, sw)
		client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
		sess, err := client.Connect(ctx, &mcp.IOTransport{Reader: cr, Writer: cw}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer sess.Close()
		measure(b, func() error {
			res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "filesystem__read_text_file", Arguments: args})
			if err == nil && res.IsError {
				b.Fatalf("gateway refused the read: %+v", res.Content)
			}
			return err
		})
	})
}

// measure runs op b.N times and reports the median and p99 latency.
func measure(b *testing.B, op func() error) {
	b.Helper()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.5), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func defaultEngine(b testing.TB, home, sandbox string) *policy.Engine {
	read := func(name string) []byte {
		data, err := defaultpolicy.Read(name)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	pol, err := policy.ParsePolicy("p", read(defaultpolicy.Policy), "l", read(defaultpolicy.Lists))
	if err != nil {
		b.Fatal(err)
	}
	ann, err := policy.ParseAnnotations("a", read(defaultpolicy.Annotations))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: home, Sandbox: sandbox,
		Protected: []string{filepath.Join(home, ".ironcurtain")}, FS: resource.OSFS{}})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}
