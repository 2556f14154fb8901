package jsworker

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

type scriptCase struct {
	name    string
	code    string
	limits  runnerproto.Limits
	srv     server
	kind    string // Done.Kind
	value   string // Done.Value, compared as JSON text; "" means no value
	errHas  string // substring of Done.Error
	console []string
	calls   int // -1: do not check
}

func runCases(t *testing.T, cases []scriptCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := runScript(t, tc.code, tc.limits, tc.srv)
			d := out.done
			if d.Kind != tc.kind {
				t.Errorf("Kind = %q (error %q), want %q", d.Kind, d.Error, tc.kind)
			}
			if tc.kind == "" && string(d.Value) != tc.value {
				t.Errorf("Value = %s, want %s", d.Value, tc.value)
			}
			if !strings.Contains(d.Error, tc.errHas) {
				t.Errorf("Error = %q, want it to contain %q", d.Error, tc.errHas)
			}
			if strings.ContainsAny(d.Error, "\n\r") {
				t.Errorf("Error = %q spans lines", d.Error)
			}
			if tc.console != nil {
				var got []string
				for _, l := range d.Console {
					got = append(got, l.Level+": "+l.Text)
				}
				if strings.Join(got, "\n") != strings.Join(tc.console, "\n") {
					t.Errorf("Console = %q, want %q", got, tc.console)
				}
			}
			if tc.calls >= 0 && len(out.calls) != tc.calls {
				t.Errorf("made %d tool calls, want %d", len(out.calls), tc.calls)
			}
		})
	}
}

func TestRunValues(t *testing.T) {
	runCases(t, []scriptCase{
		{name: "arithmetic", code: "return 1 + 1", value: "2"},
		{name: "typescript", code: "interface P { x: number }\nconst p: P = { x: 3 };\nenum E { A, B }\nreturn [p.x, E.B] as const;", value: "[3,1]"},
		{name: "top-level await", code: "const v = await Promise.resolve(5);\nreturn v * 2", value: "10"},
		{name: "no return", code: "const x = 1;"},
		{name: "undefined and functions", code: "return { a: undefined, f() {}, b: [undefined, () => 1] }", value: `{"b":[null,null]}`},
		{name: "modern syntax", code: "class A { #p = 2; static s = 1; get p() { return this.#p } }\nconst o = { a: { b: null } };\nreturn [new A().p, o.a?.b ?? 'd', 2n ** 3n === 8n, [3,1,2].toSorted()]", value: `[2,"d",true,[1,2,3]]`},
		{name: "async generator", code: "async function* g() { yield 1; yield 2 }\nlet s = 0;\nfor await (const v of g()) s += v;\nreturn s", value: "3"},
		{name: "using declaration", code: "let closed = false;\n{ using r = { [Symbol.dispose]() { closed = true } }; }\nreturn closed", value: "true"},
		{name: "unicode", code: "return '\u00e9\u2603 \\u{1F600}'", value: `"é☃ 😀"`},
		{name: "cycle", code: "const a: any = {}; a.self = a; return a", kind: KindException, errHas: "cannot encode the return value as JSON"},
		{name: "bigint result", code: "return 1n", kind: KindException, errHas: "cannot encode the return value as JSON"},
		{name: "thrown error", code: "const x = 1;\nthrow new RangeError('bad ' + x)", kind: KindException, errHas: "RangeError: bad 1 (at line 2:"},
		{name: "thrown string", code: "throw 'plain'", kind: KindException, errHas: "plain"},
		{name: "runtime error line", code: "const a = 1;\n\nconst o: any = null;\nreturn o.field", kind: KindException, errHas: "(at line 4:"},
		{name: "never settles", code: "await new Promise(() => {})", kind: KindException, errHas: "waiting for a promise"},
		{name: "rejected promise", code: "await Promise.reject(new Error('nope'))", kind: KindException, errHas: "Error: nope"},
	})
}

func TestRunSyntaxErrors(t *testing.T) {
	runCases(t, []scriptCase{
		{name: "first line", code: "const x: number = ;", kind: KindSyntax, errHas: "1:19: "},
		{name: "third line", code: "const a = 1;\nconst b = 2;\nlet = = 3;", kind: KindSyntax, errHas: "3:"},
		{name: "unclosed brace", code: "if (true) {\n  return 1;", kind: KindSyntax, errHas: "2:"},
		{name: "static import", code: "import fs from 'fs';\nreturn fs", kind: KindSyntax, errHas: "1:"},
		{name: "non-ASCII before the error", code: "const s = 'ééé'; const = 1;", kind: KindSyntax, errHas: "1:24: "},
	})
}

func TestRunToolCalls(t *testing.T) {
	deny := func(c *runnerproto.ToolCall) *runnerproto.ToolResult {
		return &runnerproto.ToolResult{ID: c.ID, Denied: "reading ~/.ssh is not allowed"}
	}
	toolErr := func(c *runnerproto.ToolCall) *runnerproto.ToolResult {
		r := textResult(c.ID, "ENOENT: no such file")
		r.IsError = true
		return r
	}
	callErr := func(c *runnerproto.ToolCall) *runnerproto.ToolResult {
		return &runnerproto.ToolResult{ID: c.ID, Error: "server filesystem is not running"}
	}
	multi := func(c *runnerproto.ToolCall) *runnerproto.ToolResult {
		return &runnerproto.ToolResult{ID: c.ID, Content: json.RawMessage(`[{"type":"text","text":"a"},{"type":"image","data":"AAAA","mimeType":"image/png"}]`)}
	}
	jsonText := func(c *runnerproto.ToolCall) *runnerproto.ToolResult { return textResult(c.ID, `{"k":1}`) }
	runCases(t, []scriptCase{
		{name: "awaited", code: "return await filesystem.read_file({ path: 'a.txt' })", value: `"filesystem.read_file {\"path\":\"a.txt\"}"`, calls: 1},
		{name: "not awaited", code: "const t = filesystem.read_file({ path: 'b' });\nreturn t", value: `"filesystem.read_file {\"path\":\"b\"}"`, calls: 1},
		{name: "then style", code: "return filesystem.read_file({ path: 'c' }).length > 0", value: "true", calls: 1},
		{name: "short alias", code: "return [await git.status(), git.git_status === git.status]", value: `["git.git_status {}",true]`, calls: 1},
		{name: "bracket names", code: "return await globalThis['my-server']['do-it']({})", value: `"my-server.do-it {}"`, calls: 1},
		{name: "no argument", code: "return git.status()", value: `"git.git_status {}"`, calls: 1},
		{name: "null-prototype argument", code: "const a = Object.create(null); a.path = 'x'; return filesystem.read_file(a)", value: `"filesystem.read_file {\"path\":\"x\"}"`, calls: 1},
		{name: "string argument", code: "filesystem.read_file('a.txt')", kind: KindException, errHas: "TypeError: filesystem.read_file takes one plain object argument", calls: 0},
		{name: "array argument", code: "filesystem.read_file(['a'])", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "class instance argument", code: "class P { path = 'a' }\nfilesystem.read_file(new P())", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "two arguments", code: "filesystem.read_file({ path: 'a' }, 2)", kind: KindException, errHas: "takes one argument", calls: 0},
		{name: "cyclic argument", code: "const a: any = {}; a.a = a; filesystem.read_file(a)", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "denied uncaught", code: "\nawait filesystem.read_file({ path: '~/.ssh/id_rsa' })", srv: server{answer: deny}, kind: KindException, errHas: "Error: DENIED: reading ~/.ssh is not allowed (at line 2:", calls: 1},
		{name: "denied caught", code: "try { filesystem.read_file({ path: 'x' }) } catch (e) { return [e instanceof Error, e.message] }", srv: server{answer: deny}, value: `[true,"DENIED: reading ~/.ssh is not allowed"]`, calls: 1},
		{name: "denied caught async", code: "return await filesystem.read_file({ path: 'x' }).catch?.(() => 1) ?? 'sync'", srv: server{answer: deny}, kind: KindException, errHas: "DENIED:", calls: 1},
		{name: "tool error", code: "try { filesystem.read_file({ path: 'x' }) } catch (e) { return e.message }", srv: server{answer: toolErr}, value: `"TOOL ERROR: ENOENT: no such file"`, calls: 1},
		{name: "call error", code: "try { filesystem.read_file({ path: 'x' }) } catch (e) { return e.message }", srv: server{answer: callErr}, value: `"server filesystem is not running"`, calls: 1},
		{name: "several content items", code: "return filesystem.read_file({ path: 'x' })", srv: server{answer: multi}, value: `[{"type":"text","text":"a"},{"type":"image","data":"AAAA","mimeType":"image/png"}]`, calls: 1},
		{name: "JSON text stays a string", code: "const r = filesystem.read_file({ path: 'x' }); return typeof r", srv: server{answer: jsonText}, value: `"string"`, calls: 1},
		{name: "sequential ids", code: "for (let i = 0; i < 5; i++) filesystem.read_file({ path: String(i) });\nreturn 1", value: "1", calls: 5},
	})
}

func TestRunConsole(t *testing.T) {
	runCases(t, []scriptCase{
		{name: "levels", code: "console.log('a', 1, {b: 2}, [3], undefined, null);\nconsole.info('i'); console.warn('w'); console.error(new TypeError('e')); console.debug(1n, () => 1);",
			console: []string{`log: a 1 {"b":2} [3] undefined null`, "info: i", "warn: w", "error: TypeError: e", "debug: 1n [Function anonymous]"}, calls: -1},
		{name: "truncated", code: "for (let i = 0; i < 100; i++) console.log('x'.repeat(100));", limits: runnerproto.Limits{MaxConsole: 1000},
			console: truncatedConsole(1000, 100), calls: -1},
		{name: "help", code: "help('filesystem.read_file')", console: []string{"log: " + strings.TrimSuffix(Help(testTools(), "filesystem.read_file"), "\n")}, calls: -1},
	})
}

// truncatedConsole is what printing lines of width x's against a budget
// of max bytes keeps: whole lines while they fit, a cut line, the marker.
func truncatedConsole(max, width int) []string {
	full := max / (perLine + width)
	var out []string
	for range full {
		out = append(out, "log: "+strings.Repeat("x", width))
	}
	if rest := max - full*(perLine+width) - perLine; rest > 0 {
		out = append(out, "log: "+strings.Repeat("x", rest))
	}
	return append(out, fmt.Sprintf("warn: %s at %d bytes", TruncatedMarker, max))
}

func TestRunLimits(t *testing.T) {
	manyCalls := "for (let i = 0; i < 10000; i++) { try { filesystem.read_file({ path: 'x' }) } catch (e) {} }\nreturn 'finished'"
	runCases(t, []scriptCase{
		// The memory cases get a wall clock far beyond what they need: under
		// -race on a loaded machine filling 16 MiB took tens of seconds, and
		// a timeout is not what they test.
		{name: "memory bomb", code: "const a = [];\nfor (;;) a.push(new Array(1e6).fill(0));", limits: runnerproto.Limits{MemoryBytes: 16 << 20, TimeoutMillis: 300_000}, kind: KindOOM, errHas: "out of memory", calls: -1},
		{name: "memory bomb caught", code: "let n = 0;\ntry { const a = []; for (;;) { a.push('x'.repeat(1e6) + n++) } } catch (e) { return String(e) }", limits: runnerproto.Limits{MemoryBytes: 16 << 20, TimeoutMillis: 300_000}, value: `"InternalError: out of memory"`, calls: -1},
		{name: "infinite loop", code: "for (;;) {}", limits: runnerproto.Limits{TimeoutMillis: 100}, kind: KindTimeout, errHas: "timed out after 100ms", calls: -1},
		{name: "infinite loop in catch", code: "for (;;) { try { for (;;) {} } catch (e) {} }", limits: runnerproto.Limits{TimeoutMillis: 100}, kind: KindTimeout, calls: -1},
		{name: "infinite job loop", code: "const f = () => Promise.resolve().then(f); f(); await new Promise(() => {})", limits: runnerproto.Limits{TimeoutMillis: 100}, kind: KindTimeout, calls: -1},
		{name: "deep recursion", code: "function f(n: number): number { return f(n + 1) + 1 }\ntry { f(0) } catch (e) { return String(e) }", value: `"InternalError: stack overflow"`, calls: -1},
		// Results ten times the result limit, with memory to spare or not.
		// (Under -race building 100 MB outlasted the default 60 s on a
		// loaded machine, so the sizes are 10 MB and the clocks generous.)
		{name: "10 MB result", code: "return 'x'.repeat(10e6)", limits: runnerproto.Limits{MemoryBytes: 64 << 20, TimeoutMillis: 300_000}, kind: KindLimit, errHas: "larger than 1048576 bytes", calls: -1},
		{name: "10 MB result near the memory limit", code: "return 'x'.repeat(10e6)", limits: runnerproto.Limits{MemoryBytes: 16 << 20, TimeoutMillis: 300_000}, kind: KindOOM, calls: -1},
		{name: "10 MB array result", code: "return new Array(5e5).fill('abcdefghijklmnopqrst')", limits: runnerproto.Limits{MemoryBytes: 64 << 20, TimeoutMillis: 300_000}, kind: KindLimit, calls: -1},
		{name: "result just over", code: "return ['x'.repeat(600), 'y'.repeat(600)]", limits: runnerproto.Limits{MaxResult: 1000}, kind: KindLimit, calls: -1},
		{name: "result just under", code: "return 'x'.repeat(998)", limits: runnerproto.Limits{MaxResult: 1000}, value: `"` + strings.Repeat("x", 998) + `"`, calls: -1},
		{name: "result escapes over", code: "return '\\n'.repeat(600)", limits: runnerproto.Limits{MaxResult: 1000}, kind: KindLimit, errHas: "more than 1000", calls: -1},
		{name: "code too large", code: "return 1;" + strings.Repeat(" ", MaxCodeSize), kind: KindLimit, errHas: "larger than", calls: -1},
		{name: "deeply nested code", code: "return " + strings.Repeat("[", 60000) + strings.Repeat("]", 60000), kind: KindSyntax, errHas: "stack overflow", calls: -1},
		{name: "deeply nested calls", code: "const f = (x: any) => x;\nreturn " + strings.Repeat("f(", 30000) + "1" + strings.Repeat(")", 30000), kind: KindSyntax, errHas: "stack overflow", calls: -1},
		{name: "10000 tool calls", code: manyCalls, kind: KindLimit, errHas: "more than 1000 tool calls", calls: 1000},
		{name: "small call limit", code: manyCalls, limits: runnerproto.Limits{MaxToolCalls: 3}, kind: KindLimit, calls: 3},
	})
}

func TestRunInvalidUTF8Result(t *testing.T) {
	bad := server{raw: func(c *runnerproto.ToolCall) []byte {
		return []byte(fmt.Sprintf("{\"type\":\"tool_result\",\"result\":{\"id\":%d,\"content\":[{\"type\":\"text\",\"text\":\"\xff\xfe\"}]}}\n", c.ID))
	}}
	bad.answer = func(*runnerproto.ToolCall) *runnerproto.ToolResult { return nil }
	runCases(t, []scriptCase{
		{name: "surfaces as an error", code: "const out = [];\nfor (let i = 0; i < 2; i++) { try { filesystem.read_file({ path: 'x' }) } catch (e) { out.push(e.message) } }\nreturn out",
			srv: bad, value: `["tool call failed: the tool result was rejected: runnerproto: message is not valid UTF-8","tool calls are unavailable: the tool result was rejected: runnerproto: message is not valid UTF-8"]`, calls: 1},
	})
}

func TestRunWrongResultID(t *testing.T) {
	wrong := server{answer: func(c *runnerproto.ToolCall) *runnerproto.ToolResult { return textResult(c.ID+7, "x") }}
	runCases(t, []scriptCase{
		{name: "wrong id", code: "filesystem.read_file({ path: 'x' })", srv: wrong, kind: KindException, errHas: "expected the result of call 1, got 8", calls: 1},
	})
}

func TestRunToolListProblems(t *testing.T) {
	tools := func(specs ...runnerproto.ToolSpec) server { return server{tools: specs} }
	runCases(t, []scriptCase{
		{name: "global name", code: "return 1", srv: tools(runnerproto.ToolSpec{Server: "JSON", Name: "parse"}), kind: KindException, errHas: `tool namespace "JSON" collides with a JavaScript global`},
		{name: "console", code: "return 1", srv: tools(runnerproto.ToolSpec{Server: "console", Name: "log"}), kind: KindException, errHas: "collides"},
		{name: "duplicate", code: "return 1", srv: tools(runnerproto.ToolSpec{Server: "a", Name: "b"}, runnerproto.ToolSpec{Server: "a", Name: "b"}), kind: KindException, errHas: "tool list: tool a.b is listed twice"},
		{name: "alias shadowing", code: "return [a.a_b === a.b, a.b()]", srv: tools(runnerproto.ToolSpec{Server: "a", Name: "a_b"}, runnerproto.ToolSpec{Server: "a", Name: "b"}), value: `[false,"a.b {}"]`, calls: 1},
		{name: "no tools", code: "return typeof help", srv: server{tools: []runnerproto.ToolSpec{}}, value: `"function"`, calls: 0},
	})
}
