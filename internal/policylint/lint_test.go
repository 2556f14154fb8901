package policylint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

const annotations = `{"servers":{
 "filesystem":{"tools":[
  {"toolName":"read_file","args":{"path":["read-path"]}},
  {"toolName":"write_file","args":{"path":["write-path"],"content":["none"]}},
  {"toolName":"move_file","args":{"source":["read-path","delete-path"],"destination":["write-path"]}}]},
 "fetch":{"tools":[{"toolName":"http_fetch","args":{"url":["fetch-url"]}}]}}}`

func lint(t *testing.T, rules string) []Finding {
	t.Helper()
	p, err := policy.ParsePolicy("p.json", []byte(`{"rules":[`+rules+`]}`), "l.json", []byte(`{"lists":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.ParseAnnotations("a.json", []byte(annotations))
	if err != nil {
		t.Fatal(err)
	}
	res, err := resource.NewPathResolver(resource.OSFS{}, "/home/u", "/home/u/.ironcurtain/sandbox")
	if err != nil {
		t.Fatal(err)
	}
	return Lint(p, ann, Options{Resolver: res, Protected: []string{"/home/u/.ironcurtain"}})
}

func TestLint(t *testing.T) {
	tests := []struct {
		name, rules string
		want        []string // substrings of findings, in order
	}{
		{"clean", `{"name":"r","if":{"server":["filesystem"],"paths":{"roles":["read-path"],"within":"~/Documents"}},"then":"allow"}`, nil},
		{"unknown server", `{"name":"r","if":{"server":["github"]},"then":"allow"}`, []string{`error: rules[0] (r): server "github" has no annotated tools`}},
		{"unknown tool", `{"name":"r","if":{"server":["filesystem"],"tool":["read_fiel"]},"then":"allow"}`, []string{`tool "read_fiel" is not an annotated tool of filesystem`}},
		{"missing list", `{"name":"r","if":{"server":["fetch"],"domains":{"roles":["fetch-url"],"allowed":["@nope"]}},"then":"allow"}`, []string{`error: load: p.json: rules[0].if.domains.allowed[0]: list "@nope"`}},
		{"within protected", `{"name":"r","if":{"paths":{"roles":["read-path"],"within":"~/.ironcurtain/generated"}},"then":"allow"}`, []string{"lies inside the protected path /home/u/.ironcurtain"}},
		{"allow writes anywhere", `{"name":"r","if":{"server":["filesystem"],"tool":["write_file"]},"then":"allow"}`, []string{"warning: rules[0] (r): allows write-path with no path condition"}},
		{"escalate leaves co-active role", `{"name":"r","if":{"server":["filesystem"],"tool":["move_file"],"roles":["write-path"]},"then":"escalate"}`,
			[]string{"escalates filesystem/move_file but its roles filter leaves read-path to default-deny", "leaves delete-path to default-deny"}},
		{"co-active role covered", `{"name":"r","if":{"server":["filesystem"],"tool":["move_file"],"roles":["write-path"]},"then":"escalate"},{"name":"s","if":{"server":["filesystem"],"tool":["move_file"]},"then":"escalate"}`, nil},
		{"shadowed", `{"name":"broad","if":{"server":["filesystem"]},"then":"escalate"},{"name":"narrow","if":{"server":["filesystem"],"tool":["read_file"],"paths":{"roles":["read-path"],"within":"/srv"}},"then":"allow"}`,
			[]string{`warning: rules[1] (narrow): can never fire: the earlier rule "broad" (rules[0])`}},
		{"narrower first is fine", `{"name":"narrow","if":{"server":["filesystem"],"tool":["read_file"],"paths":{"roles":["read-path"],"within":"/srv"}},"then":"allow"},{"name":"broad","if":{"server":["filesystem"]},"then":"escalate"}`, nil},
		{"directory shadowing", `{"name":"a","if":{"paths":{"roles":["read-path"],"within":"/srv"}},"then":"escalate"},{"name":"b","if":{"paths":{"roles":["read-path"],"within":"/srv/data"}},"then":"allow"}`,
			[]string{`rules[1] (b): can never fire`}},
		{"ungated allow does not shadow a domain rule", `{"name":"a","if":{"server":["fetch"]},"then":"allow"},{"name":"b","if":{"server":["fetch"],"domains":{"roles":["fetch-url"],"allowed":["x.com"]}},"then":"allow"}`,
			[]string{"rules[0] (a): allows fetch-url with no domain condition"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := lint(t, tc.rules)
			var lines []string
			for _, f := range got {
				lines = append(lines, f.String())
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("Lint = %q, want %d findings %q", lines, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("finding %d = %q, want containing %q", i, lines[i], w)
				}
			}
		})
	}
}

// TestLintConformancePolicies runs the linter over the TypeScript
// IronCurtain's shipped policies: it must not fail, and the read-only
// policy's ungated fetch rule is what D5 is about, so it is flagged.
func TestLintConformancePolicies(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "conformance", "ironcurtain-ts")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("conformance data absent (../shared beside the project): %v", err)
	}
	ann, err := policy.LoadAnnotations(filepath.Join(dir, "generated", "tool-annotations.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, _ := resource.NewPathResolver(resource.OSFS{}, "/home/provos", "/home/provos/.ironcurtain/sandbox")
	for _, set := range []string{"generated", "generated-readonly", "generated-coding"} {
		lists := filepath.Join(dir, set, "dynamic-lists.json")
		if _, err := os.Stat(lists); err != nil {
			lists = ""
		}
		p, err := policy.LoadPolicy(filepath.Join(dir, set, "compiled-policy.json"), lists)
		if err != nil {
			t.Fatal(err)
		}
		fs := Lint(p, ann, Options{Resolver: res, Protected: []string{"/home/provos/.ironcurtain"}})
		t.Logf("%s: %d findings", set, len(fs))
		if set == "generated-readonly" {
			found := false
			for _, f := range fs {
				found = found || (f.Rule == "allow-http-fetch-known-domains" && strings.Contains(f.Message, "no domain condition"))
			}
			if !found {
				t.Error("the read-only policy's ungated fetch rule was not flagged")
			}
		}
		for _, f := range fs {
			t.Log("  " + f.String())
		}
	}
}
