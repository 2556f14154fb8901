package gateway

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// npmFilesystemServer finds the reference filesystem server that .ci/run
// installs from the npm registry.
func npmFilesystemServer(t *testing.T) string {
	t.Helper()
	p := os.Getenv("IRONCURTAIN_NPM_FS_SERVER")
	if p == "" {
		home, _ := os.UserHomeDir()
		p = filepath.Join(home, ".cache", "ironcurtain-ci", "npm", "node_modules", ".bin", "mcp-server-filesystem")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference server @modelcontextprotocol/server-filesystem not installed (.ci/run installs it): %v", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skipf("node not on PATH: %v", err)
	}
	return p
}

// TestReferenceFilesystemServer drives the third-party reference server
// through the gateway under the built-in default policy.
func TestReferenceFilesystemServer(t *testing.T) {
	bin := npmFilesystemServer(t)
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ic := filepath.Join(home, ".ironcurtain")
	sandbox := filepath.Join(ic, "sandbox")
	if err := os.MkdirAll(sandbox, 0o700); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := defaultpolicy.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pol, err := policy.ParsePolicy("p", read(defaultpolicy.Policy), "l", read(defaultpolicy.Lists))
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.ParseAnnotations("a", read(defaultpolicy.Annotations))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: home, Sandbox: sandbox, Protected: []string{ic}, FS: resource.OSFS{}})
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "LANG": "C"}
	mgr, err := StartServers(context.Background(), ManagerConfig{
		Servers:      config.Servers{{Name: "filesystem", Command: bin, Args: []string{sandbox}}},
		Getenv:       func(k string) string { return parent[k] },
		StartTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	if up, err := mgr.Up("filesystem"); !up {
		t.Fatalf("reference server did not start: %v", err)
	}
	rec := &fakeAudit{}
	gw, err := New(Config{Servers: mgr, Engine: eng, Audit: rec, Approver: &fakeApprover{answer: escalateDenied()}, SessionID: "npm"})
	if err != nil {
		t.Fatal(err)
	}
	call := func(tool string, args any) (bool, string) {
		raw, _ := json.Marshal(args)
		res, err := gw.Call(context.Background(), "filesystem", tool, raw)
		if err != nil {
			t.Fatal(err)
		}
		return res.IsError, text(t, res)
	}
	if isErr, out := call("write_file", map[string]any{"path": "notes/../hello.txt", "content": "from the gateway"}); isErr {
		t.Fatalf("write in sandbox: %s", out)
	}
	got, err := os.ReadFile(filepath.Join(sandbox, "hello.txt"))
	if err != nil || string(got) != "from the gateway" {
		t.Fatalf("file written by the reference server: %q, %v", got, err)
	}
	if isErr, out := call("read_text_file", map[string]any{"path": "hello.txt"}); isErr || !strings.Contains(out, "from the gateway") {
		t.Fatalf("read in sandbox: %v %s", isErr, out)
	}
	if isErr, out := call("read_text_file", map[string]any{"path": "~/.ssh/id_rsa"}); !isErr || !strings.HasPrefix(out, "DENIED:") {
		t.Fatalf("read SSH key: %v %s", isErr, out)
	}
	if isErr, out := call("read_text_file", map[string]any{"path": "/etc/hostname"}); !isErr || !strings.HasPrefix(out, "DENIED: a human did not approve") {
		t.Fatalf("read outside the sandbox, escalation refused: %v %s", isErr, out)
	}
	if isErr, out := call("list_allowed_directories", map[string]any{}); isErr || !strings.Contains(out, sandbox) {
		t.Fatalf("list_allowed_directories: %v %s", isErr, out)
	}
	if n := len(rec.recs); n != 5 {
		t.Errorf("%d audit records, want 5", n)
	}
}
