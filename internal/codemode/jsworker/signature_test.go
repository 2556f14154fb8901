package jsworker

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

func TestSignature(t *testing.T) {
	tests := []struct {
		server, tool, schema string
		want                 string
	}{
		{"filesystem", "read_file", `{"type":"object","properties":{"path":{"type":"string"},"tail":{"type":"number"},"head":{"type":"number"}},"required":["path"]}`,
			`filesystem.read_file(args: { path: string; head?: number; tail?: number }): Promise<string>`},
		{"git", "git_status", `{"type":"object","properties":{"repo_path":{"type":"string"}}}`,
			`git.status(args?: { repo_path?: string }): Promise<string>`},
		{"git", "git_2x", `{}`, `git.git_2x(args?: unknown): Promise<string>`},
		{"my-server", "do-it", ``, `globalThis["my-server"]["do-it"](args?: { [key: string]: unknown }): Promise<string>`},
		{"delete", "x", `{"type":"object"}`, `globalThis["delete"].x(args?: { [key: string]: unknown }): Promise<string>`},
		{"s", "t", `{"type":"object","properties":{}}`, `s.t(args?: {}): Promise<string>`},
		{"s", "t", `not json`, `s.t(args?: { [key: string]: unknown }): Promise<string>`},
		{"s", "enum", `{"type":"object","properties":{"mode":{"enum":["a","b",1,null]}},"required":["mode"]}`,
			`s.enum(args: { mode: "a" | "b" | 1 | null }): Promise<string>`},
		{"s", "arrays", `{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}},"b":{"type":"array","items":{"type":["string","number"]}},"c":{"type":"array"},"d":{"prefixItems":[{"type":"string"},{"type":"integer"}]}}}`,
			`s.arrays(args?: { a?: string[]; b?: (string | number)[]; c?: unknown[]; d?: [string, number] }): Promise<string>`},
		{"s", "nested", `{"type":"object","properties":{"edits":{"type":"array","items":{"type":"object","properties":{"oldText":{"type":"string"},"newText":{"type":"string"}},"required":["oldText","newText"]}},"path":{"type":"string"}},"required":["path","edits"]}`,
			`s.nested(args: { edits: { newText: string; oldText: string }[]; path: string }): Promise<string>`},
		{"s", "combos", `{"type":"object","properties":{"x":{"anyOf":[{"type":"string"},{"type":"null"}]},"y":{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"object","properties":{"b":{"const":true}}}]},"z":{"oneOf":[{"type":"string"},{}]}}}`,
			`s.combos(args?: { x?: string | null; y?: { a?: string } & { b?: true }; z?: unknown }): Promise<string>`},
		{"s", "maps", `{"type":"object","properties":{"env":{"type":"object","additionalProperties":{"type":"string"}},"odd key":{"type":"boolean"}}}`,
			`s.maps(args?: { env?: { [key: string]: string }; "odd key"?: boolean }): Promise<string>`},
		{"s", "undescribed", `{"type":"object","required":["a"]}`, `s.undescribed(args: { a: unknown }): Promise<string>`},
		{"s", "false", `{"type":"object","properties":{"no":false}}`, `s.false(args?: { no?: never }): Promise<string>`},
		{"s", "deep", `{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"object","properties":{"d":{"type":"object","properties":{"e":{"type":"object","properties":{"f":{"type":"string"}}}}}}}}}}}}}`,
			`s.deep(args?: { a?: { b?: { c?: { d?: { e?: { f?: unknown } } } } } }): Promise<string>`},
	}
	for _, tc := range tests {
		spec := runnerproto.ToolSpec{Server: tc.server, Name: tc.tool, InputSchema: json.RawMessage(tc.schema)}
		if got := Signature(spec); got != tc.want {
			t.Errorf("Signature(%s.%s, %s)\n got %s\nwant %s", tc.server, tc.tool, tc.schema, got, tc.want)
		}
	}
}

func TestSignatureBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{`)
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"p` + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + `":{"type":"string"}`)
	}
	b.WriteString(`}}`)
	got := Signature(runnerproto.ToolSpec{Server: "s", Name: "t", InputSchema: json.RawMessage(b.String())})
	if len(got) > maxSignature+200 {
		t.Errorf("Signature of a huge schema is %d bytes, want at most about %d", len(got), maxSignature)
	}
	if !strings.Contains(got, "[key: string]: unknown") {
		t.Errorf("Signature of a huge schema = %.200s…, want it to mark the cut", got)
	}
}

func FuzzSignature(f *testing.F) {
	f.Add("fs", "read_file", `{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`)
	f.Add("git", "git_log", `{"type":["object","null"],"properties":{"n":{"anyOf":[{"type":"integer"},{"enum":[1,"x",true]}]}}}`)
	f.Add("x-y", "a b", `{"allOf":[{"items":[{}]},{"additionalProperties":{"type":"array","items":false}}]}`)
	f.Add("s", "t", `{"properties":{"a":{"properties":{"a":{"properties":{"a":{"required":["\u2028"]}}}}}}}`)
	f.Fuzz(func(t *testing.T, server, tool, schema string) {
		got := Signature(runnerproto.ToolSpec{Server: server, Name: tool, InputSchema: json.RawMessage(schema)})
		if !utf8.ValidString(got) && utf8.ValidString(server+tool+schema) {
			t.Errorf("Signature produced invalid UTF-8: %q", got)
		}
		if len(schema) < 10000 && len(got) > maxSignature+len(server)*6+len(tool)*6+100 {
			t.Errorf("Signature is %d bytes", len(got))
		}
	})
}
