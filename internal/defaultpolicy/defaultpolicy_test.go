package defaultpolicy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/defaultpolicy"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
	"github.com/ironcurtain/ironcurtain-go/internal/scenario"
	"github.com/ironcurtain/ironcurtain-go/internal/servers/fetch"
	"github.com/ironcurtain/ironcurtain-go/internal/servers/filesystem"
	"github.com/ironcurtain/ironcurtain-go/internal/servers/git"

	"github.com/modelcontextprotocol/go-sdk/mcp"
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

// TestAnnotationsCoverBundledServers: every argument of every bundled tool
// has roles (an unannotated argument would deny the call), and no
// annotation describes a tool or argument the server does not have.
func TestAnnotationsCoverBundledServers(t *testing.T) {
	ann, err := policy.ParseAnnotations(defaultpolicy.Annotations, load(t, defaultpolicy.Annotations))
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string][]*mcp.Tool{"filesystem": filesystem.Tools(), "git": git.Tools(), "fetch": fetch.Tools()}
	for server, tools := range servers {
		have := map[string]bool{}
		for _, tool := range tools {
			have[tool.Name] = true
			a := ann.Lookup(server, tool.Name)
			if a == nil {
				t.Errorf("%s/%s has no annotation", server, tool.Name)
				continue
			}
			props := schemaProperties(t, tool.InputSchema)
			annotated := map[string]bool{}
			for _, arg := range a.Args {
				annotated[arg.Name] = true
				if !props[arg.Name] {
					t.Errorf("%s/%s: annotation for %q, which the schema lacks", server, tool.Name, arg.Name)
				}
			}
			for p := range props {
				if !annotated[p] {
					t.Errorf("%s/%s: argument %q has no roles", server, tool.Name, p)
				}
			}
		}
		for _, a := range ann.Tools() {
			if a.Server == server && !have[a.Tool] {
				t.Errorf("annotation for %s/%s, which the bundled server does not offer", server, a.Tool)
			}
		}
	}
}

func schemaProperties(t *testing.T, schema any) map[string]bool {
	t.Helper()
	data, err := json.Marshal(schema)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for k := range s.Properties {
		out[k] = true
	}
	return out
}
