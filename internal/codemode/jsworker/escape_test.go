package jsworker

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// TestEscapes is the corpus of attempts to reach the host from inside the
// VM. Each must end with a clear result and nothing of the host in it.
func TestEscapes(t *testing.T) {
	runCases(t, []scriptCase{
		{name: "host globals", code: "return [typeof require, typeof process, typeof module, typeof exports, typeof print, typeof std, typeof os, typeof scriptArgs, typeof Deno, typeof Bun, typeof WebAssembly, typeof setTimeout, typeof __ic_call]",
			value: `["undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined","undefined"]`, calls: 0},
		{name: "dynamic import", code: "try { await import('fs'); return 'loaded' } catch (e) { return String(e) }", value: `"ReferenceError: could not load module 'fs'"`, calls: 0},
		{name: "dynamic import of a file", code: "try { await import('/etc/passwd'); return 'loaded' } catch (e) { return e.name }", value: `"ReferenceError"`, calls: 0},
		{name: "dynamic import through eval", code: "try { await (0, eval)('import(\"os\")'); return 'loaded' } catch (e) { return String(e) }", value: `"TypeError: no function filename for import()"`, calls: 0},
		{name: "constructor chain from this", code: `try { return String(this.constructor.constructor("return process")()) } catch (e) { return e.name }`, value: `"ReferenceError"`, calls: 0},
		{name: "constructor chain from an object", code: `try { return String(({}).constructor.constructor("return process")()) } catch (e) { return e.name }`, value: `"ReferenceError"`, calls: 0},
		{name: "constructor chain from a stub", code: `try { return String(filesystem.read_file.constructor("return typeof process")()) } catch (e) { return e.name }`, value: `"undefined"`, calls: 0},
		{name: "sloppy global this", code: `const g = Function("return this")(); return g === globalThis`, value: "true", calls: 0},
		{name: "replace a stub", code: "filesystem.read_file = () => 'fake'", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "add to a namespace", code: "(filesystem as any).extra = 1", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "replace a namespace", code: "(globalThis as any).filesystem = {}", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "delete a namespace", code: "delete (globalThis as any).git", kind: KindException, errHas: "TypeError", calls: 0},
		// quickjs does not enforce non-configurability of global object
		// properties against defineProperty. The script can only fool
		// itself that way: the fake reaches no host function.
		{name: "redefine a namespace", code: "Object.defineProperty(globalThis, 'git', { value: { status: () => 'fake' } });\nreturn git.status()", value: `"fake"`, calls: 0},
		{name: "reprototype a namespace", code: "Object.setPrototypeOf(filesystem, {})", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "stub property", code: "(filesystem.read_file as any).x = 1", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "replace console", code: "(globalThis as any).console = { log() {} }", kind: KindException, errHas: "TypeError", calls: 0},
		{name: "prototype pollution", code: "(Object.prototype as any).read_file = () => 'polluted';\n(Object.prototype as any).evil = 1;\nreturn [(filesystem as any).evil === undefined, filesystem.read_file({ path: 'a' })]",
			value: `[true,"filesystem.read_file {\"path\":\"a\"}"]`, calls: 1},
		{name: "patched builtins", code: "JSON.stringify = () => '{\"path\":\"/etc/shadow\"}';\n(Function.prototype as any).call = () => 'x';\n(Array as any).isArray = () => false;\nreturn filesystem.read_file({ path: 'a' })",
			value: `"filesystem.read_file {\"path\":\"a\"}"`, calls: 1},
		{name: "getter arguments", code: "let n = 0; const a = { get path() { return n++ ? '/etc/shadow' : 'a' } };\nreturn filesystem.read_file(a)", value: `"filesystem.read_file {\"path\":\"a\"}"`, calls: 1},
		{name: "tool call after return", code: "(async () => { await null; await null; filesystem.write_file({ path: 'late', content: '' }) })();\nreturn 1", value: "1", calls: 0},
		{name: "blocking wait", code: "try { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return 'waited' } catch (e) { return e.name }", value: `"TypeError"`, calls: 0},
	})
}

// TestGlobals pins everything a script can see on the global object: the
// engine's standard library, the tool namespaces, console and help.
func TestGlobals(t *testing.T) {
	out := runScript(t, "return Reflect.ownKeys(globalThis).map(String)", runnerproto.Limits{}, server{})
	if out.done.Kind != "" {
		t.Fatalf("Kind = %q (%s)", out.done.Kind, out.done.Error)
	}
	var got []string
	if err := json.Unmarshal(out.done.Value, &got); err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(`Object Function Error EvalError RangeError ReferenceError SyntaxError TypeError
		URIError InternalError AggregateError Array Iterator parseInt parseFloat isNaN isFinite
		decodeURI decodeURIComponent encodeURI encodeURIComponent escape unescape Infinity NaN
		undefined eval Number Boolean String Math Reflect Symbol globalThis BigInt Date RegExp
		JSON Proxy Map Set WeakMap WeakSet ArrayBuffer SharedArrayBuffer Uint8ClampedArray
		Int8Array Uint8Array Int16Array Uint16Array Int32Array Uint32Array BigInt64Array
		BigUint64Array Float16Array Float32Array Float64Array DataView Atomics Promise WeakRef
		FinalizationRegistry filesystem git my-server console help Symbol(Symbol.toStringTag)`)
	for _, name := range got {
		if !slices.Contains(want, name) {
			t.Errorf("global %q is visible to scripts; add it here only if it reaches nothing of the host", name)
		}
	}
	for _, name := range []string{"filesystem", "git", "my-server", "console", "help"} {
		if !slices.Contains(got, name) {
			t.Errorf("global %q is missing", name)
		}
	}
}
