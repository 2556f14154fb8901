package policy_test

import (
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

func TestParsePolicyErrors(t *testing.T) {
	rule := func(s string) string { return `{"rules":[` + s + `]}` }
	tests := []struct {
		name, policy, want string
	}{
		{"not json", `{`, "compiled-policy.json: line 1 column 2: unexpected end of JSON input"},
		{"not an object", `[]`, "compiled-policy.json: must be an object, not array"},
		{"no rules", `{}`, "compiled-policy.json: rules: is required"},
		{"unknown top-level field", `{"rules":[],"rulez":[]}`, "compiled-policy.json: rulez: unknown field"},
		{"empty if", rule(`{"name":"a","if":{},"then":"allow"}`), "compiled-policy.json: rules[0].if: must not be empty"},
		{"unknown then", rule(`{"name":"a","if":{"server":["x"]},"then":"permit"}`), `compiled-policy.json: rules[0].then: unknown decision "permit"`},
		{"missing then", rule(`{"name":"a","if":{"server":["x"]}}`), "compiled-policy.json: rules[0].then: is required"},
		{"unknown role", rule(`{"name":"a","if":{"roles":["read-paths"]},"then":"allow"}`), `compiled-policy.json: rules[0].if.roles[0]: unknown role "read-paths"`},
		{"relative within", rule(`{"name":"a","if":{"paths":{"roles":["read-path"],"within":"Downloads"}},"then":"allow"}`), `compiled-policy.json: rules[0].if.paths.within: must be an absolute path (or start with ~/), not "Downloads"`},
		{"path condition on URL role", rule(`{"name":"a","if":{"paths":{"roles":["fetch-url"],"within":"/x"}},"then":"allow"}`), `rules[0].if.paths.roles[0]: role "fetch-url" is not a path role`},
		{"misspelt condition", rule(`{"name":"a","if":{"path":{"roles":["read-path"],"within":"/x"}},"then":"allow"}`), "compiled-policy.json: rules[0].if.path: unknown field"},
		{"duplicate names", rule(`{"name":"a","if":{"server":["x"]},"then":"allow"},{"name":"a","if":{"server":["y"]},"then":"deny"}`), `compiled-policy.json: rules[1].name: duplicate rule name "a" (first used at rules[0])`},
		{"duplicate key", rule(`{"name":"a","if":{"server":["x"]},"then":"allow","then":"deny"}`), `duplicate key "then"`},
		{"empty server list", rule(`{"name":"a","if":{"server":[]},"then":"allow"}`), "rules[0].if.server: must not be empty"},
		{"wrong type", rule(`{"name":"a","if":{"server":"git"},"then":"allow"}`), "rules[0].if.server: must be an array of strings, not string"},
		{"bad matchType", rule(`{"name":"a","if":{"lists":[{"roles":["github-owner"],"allowed":["x"],"matchType":"regex"}]},"then":"allow"}`), `unknown matchType "regex"`},
		{"bad domain pattern", rule(`{"name":"a","if":{"domains":{"roles":["fetch-url"],"allowed":["ex*ample.com"]}},"then":"allow"}`), "rules[0].if.domains.allowed[0]"},
		{"rule name with newline", rule(`{"name":"a\nFAKE","if":{"server":["x"]},"then":"allow"}`), "rules[0].name: rule name"},
		{"reserved rule name", rule(`{"name":"structural-sandbox-allow","if":{"server":["x"]},"then":"allow"}`), "is reserved for the engine"},
		{"invalid utf8", "{\"rules\":[{\"name\":\"\xff\"}]}", "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.ParsePolicy("compiled-policy.json", []byte(tc.policy), "", nil)
			if err == nil {
				t.Fatalf("ParsePolicy(%s) succeeded, want error containing %q", tc.policy, tc.want)
			}
			if p != nil {
				t.Errorf("ParsePolicy returned a policy along with an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePolicy error = %q, want containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestParsePolicyReportsEveryProblem(t *testing.T) {
	_, err := policy.ParsePolicy("p.json", []byte(`{"rules":[{"name":"a","if":{},"then":"allow"},{"name":"b","if":{"server":["x"]},"then":"nope"}]}`), "", nil)
	if err == nil || !strings.Contains(err.Error(), "rules[0].if") || !strings.Contains(err.Error(), "rules[1].then") {
		t.Fatalf("error = %v, want both problems", err)
	}
}

func TestDynamicLists(t *testing.T) {
	pol := `{"rules":[{"name":"a","if":{"domains":{"roles":["fetch-url"],"allowed":["@news","@missing","extra.example"]}},"then":"allow"}]}`
	lists := `{"lists":{"news":{"values":["a.example","b.example"],"manualAdditions":["c.example"],"manualRemovals":["b.example"]}}}`
	p, err := policy.ParsePolicy("p.json", []byte(pol), "l.json", []byte(lists))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Rules[0].If.Domains.Allowed, ",")
	if want := "a.example,c.example,extra.example"; got != want {
		t.Fatalf("expanded = %s, want %s", got, want)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `"@missing"`) {
		t.Fatalf("warnings = %q, want one about @missing", p.Warnings)
	}
	if _, err := policy.ParsePolicy("p.json", []byte(pol), "dynamic-lists.json", []byte(`{"lists":{"news":{"values":["ok.example","bad pattern"]}}}`)); err == nil ||
		!strings.Contains(err.Error(), "dynamic-lists.json: lists.news.values[1]: resource: pattern") {
		t.Errorf("bad list value: error = %v, want one naming dynamic-lists.json: lists.news.values[1]", err)
	}
	for name, bad := range map[string]string{
		"values missing": `{"lists":{"x":{}}}`,
		"wrong type":     `{"lists":{"x":{"values":"a"}}}`,
		"unknown field":  `{"lists":{"x":{"values":[],"extra":1}}}`,
		"empty value":    `{"lists":{"x":{"values":[" "]}}}`,
	} {
		if _, err := policy.ParsePolicy("p.json", []byte(pol), "dynamic-lists.json", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "dynamic-lists.json: lists.x") {
			t.Errorf("%s: error = %v, want one naming dynamic-lists.json: lists.x", name, err)
		}
	}
}

func TestParseAnnotationsErrors(t *testing.T) {
	tool := func(args string) string {
		return `{"servers":{"s":{"tools":[{"toolName":"t","args":` + args + `}]}}}`
	}
	tests := []struct {
		name, in, want string
	}{
		{"unknown role", tool(`{"p":["read-pth"]}`), `servers.s.tools[0].args.p[0]: unknown role "read-pth"`},
		{"empty roles", tool(`{"p":[]}`), `servers.s.tools[0].args.p: must list at least one role`},
		{"condition on unknown arg", tool(`{"p":{"default":["read-path"],"when":[{"condition":{"arg":"q","equals":true},"roles":["read-path"]}]}}`), `servers.s.tools[0].args.p.when[0].condition.arg: names "q"`},
		{"two operators", tool(`{"p":{"default":["read-path"],"when":[{"condition":{"arg":"p","equals":1,"in":[1]},"roles":["read-path"]}]}}`), "must have exactly one of equals, in, is"},
		{"bad is", tool(`{"p":{"default":["read-path"],"when":[{"condition":{"arg":"p","is":"maybe"},"roles":["read-path"]}]}}`), `must be one of present, absent, truthy, falsy, not "maybe"`},
		{"mixed kinds", tool(`{"p":["read-path","fetch-url"]}`), "mixes roles of different kinds"},
		{"duplicate tool", `{"servers":{"s":{"tools":[{"toolName":"t","args":{}},{"toolName":"t","args":{}}]}}}`, `servers.s.tools[1]: duplicate annotation for tool "t"`},
		{"server mismatch", `{"servers":{"s":{"tools":[{"toolName":"t","serverName":"u","args":{}}]}}}`, `is "u" but the tool is listed under server "s"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := policy.ParseAnnotations("tool-annotations.json", []byte(tc.in))
			if err == nil || a != nil {
				t.Fatalf("ParseAnnotations succeeded, want error containing %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "tool-annotations.json: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %q, want containing %q", err, tc.want)
			}
		})
	}
}

func TestAnnotationArgumentOrderKept(t *testing.T) {
	a, err := policy.ParseAnnotations("a.json", []byte(`{"servers":{"s":{"tools":[{"toolName":"t","args":{"zeta":["none"],"alpha":["read-path"],"mid":["write-path"]}}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, arg := range a.Lookup("s", "t").Args {
		names = append(names, arg.Name)
	}
	if got := strings.Join(names, ","); got != "zeta,alpha,mid" {
		t.Fatalf("argument order = %s, want zeta,alpha,mid", got)
	}
}

func TestParseCall(t *testing.T) {
	good := `{"serverName":"filesystem","toolName":"read_file","arguments":{"path":"/tmp/x"}}`
	c, err := policy.ParseCall([]byte(good))
	if err != nil || c.Server != "filesystem" || c.Tool != "read_file" || c.Arguments["path"] != "/tmp/x" {
		t.Fatalf("ParseCall(good) = %+v, %v", c, err)
	}
	for name, bad := range map[string]string{
		"unknown field": `{"serverName":"a","toolName":"b","args":{}}`,
		"missing tool":  `{"serverName":"a"}`,
		"wrong type":    `{"serverName":"a","toolName":"b","arguments":[]}`,
		"duplicate key": `{"serverName":"a","toolName":"b","arguments":{"path":"/ok","path":"/etc/shadow"}}`,
		"trailing":      good + `x`,
		"empty server":  `{"serverName":"","toolName":"b"}`,
		"invalid utf8":  "{\"serverName\":\"\xc3\x28\",\"toolName\":\"b\"}",
		"not json":      `serverName=a`,
		"deeply nested": `{"serverName":"a","toolName":"b","arguments":{"x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}}`,
	} {
		if _, err := policy.ParseCall([]byte(bad)); err == nil {
			t.Errorf("%s: ParseCall succeeded", name)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: multi-line error %q", name, err)
		}
	}
}
