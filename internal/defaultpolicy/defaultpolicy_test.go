package defaultpolicy_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
)

func load(t *testing.T, name string) []byte {
	t.Helper()
	b, err := defaultpolicy.Read(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScenariosPass: the default policy passes its own scenario file, on a
// real home directory with the sandbox inside it.
func TestScenariosPass(t *testing.T) {
	pol, err := policy.ParsePolicy(defaultpolicy.Policy, load(t, defaultpolicy.Policy), defaultpolicy.Lists, load(t, defaultpolicy.Lists))
	if err != nil {
		t.Fatal(err)
	}
	if len(pol.Warnings) > 0 {
		t.Errorf("warnings: %v", pol.Warnings)
	}
	ann, err := policy.ParseAnnotations(defaultpolicy.Annotations, load(t, defaultpolicy.Annotations))
	if err != nil {
		t.Fatal(err)
	}
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ic := filepath.Join(home, ".ironcurtain")
	if err := os.MkdirAll(filepath.Join(ic, "sandbox"), 0o700); err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: home, Sandbox: filepath.Join(ic, "sandbox"),
		Protected: []string{ic}, FS: resource.OSFS{}})
	if err != nil {
		t.Fatal(err)
	}
	scs, err := scenario.Parse(defaultpolicy.Scenarios, load(t, defaultpolicy.Scenarios))
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) < 40 {
		t.Errorf("only %d scenarios", len(scs))
	}
	for _, r := range scenario.Run(eng, scs) {
		if !r.Pass {
			t.Errorf("#%d %s: expected %s, got %s (%s: %s)", r.Index, r.Description, r.Expected, r.Decision, r.Rule, r.Reason)
		}
	}
}
