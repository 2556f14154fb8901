package policy_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the engine pure: no network, no processes, and of our
// own packages only the leaves resource and jsondoc.
func TestDeps(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH: cannot list dependencies")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/ironcurtain/ironcurtain-go/"
	allowed := map[string]bool{
		mod + "internal/policy":   true,
		mod + "internal/resource": true,
		mod + "internal/jsondoc":  true,
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "net" || dep == "net/http" || dep == "os/exec":
			t.Errorf("policy depends on %s", dep)
		case strings.HasPrefix(dep, mod) && !allowed[dep]:
			t.Errorf("policy depends on %s; it may use only resource and jsondoc", dep)
		}
	}
}
