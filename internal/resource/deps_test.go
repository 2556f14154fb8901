package resource

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the package auditable: no network, no process
// execution, nothing else from this module, and no external module but
// golang.org/x/net/idna (with the x/text tables it needs).
func TestDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH:", err)
	}
	list := func(format string) []string {
		t.Helper()
		out, err := exec.Command(goBin, "list", "-deps", "-f", format, ".").Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		return strings.Fields(string(out))
	}
	self := strings.TrimSpace(strings.Join(list("{{if not .DepOnly}}{{.ImportPath}}{{end}}"), ""))
	forbidden := map[string]bool{"net": true, "net/http": true, "os/exec": true}
	for _, pkg := range list("{{.ImportPath}}") {
		switch {
		case pkg == self:
		case forbidden[pkg]:
			t.Errorf("%s depends on forbidden package %s", self, pkg)
		case strings.HasPrefix(pkg, "github.com/ironcurtain/"):
			t.Errorf("%s depends on %s; it must import nothing from this module", self, pkg)
		case strings.Contains(strings.SplitN(pkg, "/", 2)[0], "."):
			if pkg != "golang.org/x/net/idna" && !strings.HasPrefix(pkg, "golang.org/x/text/") {
				t.Errorf("%s depends on unexpected external package %s", self, pkg)
			}
		}
	}
}
