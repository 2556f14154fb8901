package git

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

var requiredTools = []string{
	"git_status", "git_log", "git_diff", "git_show", "git_add", "git_commit", "git_branch",
	"git_checkout", "git_init", "git_clone", "git_fetch", "git_pull", "git_push", "git_remote",
	"git_reset", "git_stash", "git_tag", "git_merge", "git_set_working_dir", "git_clear_working_dir",
}

func TestToolsListed(t *testing.T) {
	f := newFixture(t, nil)
	res, err := f.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tl := range res.Tools {
		got = append(got, tl.Name)
		// What a client receives must resolve, or a gateway would drop it.
		b, err := json.Marshal(tl.InputSchema)
		if err != nil {
			t.Fatal(err)
		}
		var s jsonschema.Schema
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s schema: %v", tl.Name, err)
		}
		if _, err := s.Resolve(nil); err != nil {
			t.Errorf("%s schema does not resolve on the client side: %v", tl.Name, err)
		}
		if tl.Description == "" {
			t.Errorf("%s has no description", tl.Name)
		}
	}
	want := slices.Clone(requiredTools)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("ListTools = %v, want %v", got, want)
	}
	if n := len(Tools()); n != len(want) {
		t.Errorf("len(Tools()) = %d, want %d", n, len(want))
	}
}

func TestToolsAreFreshCopies(t *testing.T) {
	a := Tools()
	a[0].Name = "changed"
	a[0].InputSchema.(*jsonschema.Schema).Properties["path"].Description = "changed"
	b := Tools()
	if b[0].Name == "changed" || b[0].InputSchema.(*jsonschema.Schema).Properties["path"].Description == "changed" {
		t.Fatal("Tools() returned shared values")
	}
}

// TestSchemasMatchTypeScript compares argument names, types, required
// lists and enums with the TypeScript server's published schemas, which
// is what compiled policies and annotations are written against.
func TestSchemasMatchTypeScript(t *testing.T) {
	dir := os.Getenv("IRONCURTAIN_CONFORMANCE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "conformance")
	}
	data, err := os.ReadFile(filepath.Join(dir, "ironcurtain-ts", "generated", "tool-annotations.json"))
	if err != nil {
		t.Skipf("TypeScript tool annotations not found (they live in ../shared beside the project): %v", err)
	}
	var doc struct {
		Servers map[string]struct {
			Tools []struct {
				ToolName    string             `json:"toolName"`
				InputSchema *jsonschema.Schema `json:"inputSchema"`
			} `json:"tools"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	ts := map[string]*jsonschema.Schema{}
	for _, tl := range doc.Servers["git"].Tools {
		ts[tl.ToolName] = tl.InputSchema
	}
	for _, tl := range Tools() {
		t.Run(tl.Name, func(t *testing.T) {
			theirs, ok := ts[tl.Name]
			if !ok {
				t.Fatalf("tool %s does not exist in the TypeScript server", tl.Name)
			}
			ours := tl.InputSchema.(*jsonschema.Schema)
			compareSchemas(t, tl.Name, ours, theirs)
		})
	}
}

func compareSchemas(t *testing.T, at string, ours, theirs *jsonschema.Schema) {
	t.Helper()
	if got, want := schemaTypes(ours), schemaTypes(theirs); !slices.Equal(got, want) {
		t.Errorf("%s: types = %v, want %v", at, got, want)
	}
	if got, want := sorted(ours.Required), sorted(theirs.Required); !slices.Equal(got, want) {
		t.Errorf("%s: required = %v, want %v", at, got, want)
	}
	if got, want := enumStrings(ours.Enum), enumStrings(theirs.Enum); !slices.Equal(got, want) {
		t.Errorf("%s: enum = %v, want %v", at, got, want)
	}
	// author.email: the TypeScript pattern uses look-ahead, which Go's
	// regexp cannot compile; the handler checks the address instead.
	// git_checkout.target: the TypeScript schema is a union of two strings,
	// each with minLength 1; ours is one string with minLength 1.
	// git_fetch/pull/push.remote: ours also takes a URL, because the gateway
	// forwards the URL a named remote resolved to (what the policy checked).
	widened := map[string]bool{"git_commit.author.email": true, "git_checkout.target": true,
		"git_fetch.remote": true, "git_pull.remote": true, "git_push.remote": true}
	if got, want := bounds(ours), bounds(theirs); got != want && !widened[at] {
		t.Errorf("%s: bounds = %s, want %s", at, got, want)
	}
	if ours.Items != nil || theirs.Items != nil {
		if ours.Items == nil || theirs.Items == nil {
			t.Errorf("%s: items present in only one schema", at)
		} else {
			compareSchemas(t, at+"[]", ours.Items, theirs.Items)
		}
	}
	var names []string
	for k := range theirs.Properties {
		names = append(names, k)
	}
	for k := range ours.Properties {
		if _, ok := theirs.Properties[k]; !ok {
			t.Errorf("%s: argument %s does not exist in the TypeScript server", at, k)
		}
	}
	for _, k := range names {
		o, ok := ours.Properties[k]
		if !ok {
			t.Errorf("%s: argument %s is missing", at, k)
			continue
		}
		compareSchemas(t, at+"."+k, o, theirs.Properties[k])
	}
}

// bounds renders the constraints and default of one schema level.
func bounds(s *jsonschema.Schema) string {
	f := func(p any) string {
		switch v := p.(type) {
		case *int:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *float64:
			if v != nil {
				return fmt.Sprint(*v)
			}
		}
		return "-"
	}
	return fmt.Sprintf("minLength=%s maxLength=%s minimum=%s maximum=%s minItems=%s pattern=%q default=%s",
		f(s.MinLength), f(s.MaxLength), f(s.Minimum), f(s.Maximum), f(s.MinItems), s.Pattern, s.Default)
}

// schemaTypes is the set of JSON types a schema admits, looking through
// anyOf, so that a union of two string schemas equals a string schema.
func schemaTypes(s *jsonschema.Schema) []string {
	set := map[string]bool{}
	if s.Type != "" {
		set[s.Type] = true
	}
	for _, t := range s.Types {
		set[t] = true
	}
	for _, a := range s.AnyOf {
		for _, t := range schemaTypes(a) {
			set[t] = true
		}
	}
	var out []string
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func enumStrings(vs []any) []string {
	var out []string
	for _, v := range vs {
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

func TestNewRefusesBadConfig(t *testing.T) {
	requireGit(t)
	root := tempDir(t)
	file := filepath.Join(root, "file")
	writeFile(t, file, "x")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no roots", Config{}, "no roots"},
		{"relative root", Config{Roots: []string{"rel"}}, "not absolute"},
		{"missing root", Config{Roots: []string{filepath.Join(root, "missing")}}, "no such file"},
		{"root is a file", Config{Roots: []string{file}}, "not a directory"},
		{"relative git", Config{Roots: []string{root}, GitPath: "git"}, "not absolute"},
		{"git is not executable", Config{Roots: []string{root}, GitPath: file}, "not an executable"},
		{"bad env", Config{Roots: []string{root}, Env: []string{"NOEQUALS"}}, "KEY=VALUE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tc.cfg, err, tc.want)
			}
		})
	}
}
