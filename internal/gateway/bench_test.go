package gateway

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// The gateway's end-to-end latency, as a client sees it against the bundled
// server called directly, is BenchmarkGatewayReadFile in cmd/ironcurtain:
// there the gateway is its own process, as it is in use.

// BenchmarkPipeline is the gateway's own work on one small read_text_file
// under the built-in policy — schema validation, decision, breaker, the
// forward to the bundled filesystem server (a child process), result limit —
// with the audit log left out (a record kept in memory), so that profiles
// of the stages are not drowned by the fsync.
func BenchmarkPipeline(b *testing.B) {
	home, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	sandbox := filepath.Join(home, ".ironcurtain", "sandbox")
	if err := os.MkdirAll(sandbox, 0o700); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(sandbox, "small.txt")
	if err := os.WriteFile(file, []byte("hello, gateway\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	eng := defaultEngine(b, home, sandbox)
	parent := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "LANG": "C"}
	mgr, err := StartServers(context.Background(), ManagerConfig{
		Servers: config.Servers{{Name: "filesystem", Command: self, Env: map[string]string{childEnv: "filesystem", childEnv + "_ROOT": sandbox}}},
		Getenv:  func(k string) string { return parent[k] },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer mgr.Close()
	gw, err := New(Config{Servers: mgr, Engine: eng, Audit: &fakeAudit{}, Approver: &fakeApprover{}, SessionID: "bench", BreakerLimit: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	args, err := json.Marshal(map[string]any{"path": file})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		res, err := gw.Call(ctx, "filesystem", "read_text_file", args)
		if err != nil || res.IsError {
			b.Fatalf("read: %v %+v", err, res)
		}
	}
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
