package gateway

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/escalate"
)

// TestApprovalAnnouncesRoots: the bundled filesystem server only reaches
// its roots; once a person approves a read outside the sandbox, that
// directory is announced as a root and the read goes through.
func TestApprovalAnnouncesRoots(t *testing.T) {
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sandbox := filepath.Join(home, ".ironcurtain", "sandbox")
	docs := filepath.Join(home, "Documents")
	for _, d := range []string{sandbox, docs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(docs, "plan.md"), []byte("the plan"), 0o600); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "LANG": "C"}
	mgr, err := StartServers(context.Background(), ManagerConfig{
		Servers: config.Servers{{Name: "filesystem", Command: self, Env: map[string]string{childEnv: "filesystem", childEnv + "_ROOT": sandbox}}},
		Getenv:  func(k string) string { return parent[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	approver := &fakeApprover{answer: escalate.Answer{Outcome: escalate.Approved, By: "test"}}
	gw, err := New(Config{Servers: mgr, Engine: defaultEngine(t, home, sandbox), Audit: &fakeAudit{}, Approver: approver})
	if err != nil {
		t.Fatal(err)
	}
	// Without going through the gateway's approval, the server refuses.
	res, err := mgr.Call(context.Background(), "filesystem", "read_text_file", map[string]any{"path": filepath.Join(docs, "plan.md")})
	if err != nil || !res.IsError {
		t.Fatalf("server read outside its roots: %v %+v", err, res)
	}
	raw, _ := json.Marshal(map[string]any{"path": "~/Documents/plan.md"})
	res, err = gw.Call(context.Background(), "filesystem", "read_text_file", raw)
	if err != nil || res.IsError || !strings.Contains(text(t, res), "the plan") {
		t.Fatalf("approved read: %v %q", err, text(t, res))
	}
	if len(approver.asked) != 1 {
		t.Fatalf("asked %d times, want 1", len(approver.asked))
	}
}
