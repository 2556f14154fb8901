package jsworker

import (
	"encoding/json"
	"strconv"
	"strings"
)

// The prelude runs before the agent's code in the same VM. It takes the Go
// functions registered under hostNames off the global object (so the
// script can reach the host only through the stubs), builds the frozen
// tool namespaces, console and help, and evaluates to the function that
// runs the script's async main and reports how it settled.
//
// It is not a security boundary: the script shares its VM and may subvert
// anything here, and gains nothing by it, since every Go function checks
// its own arguments and the parent checks every message. Builtins are
// captured up front only so that an honest script that patches them still
// gets sensible errors.
//
// The function it evaluates to has three uses: run(main) starts the
// script; run(undefined) listens to the started script's promise again,
// for when quickjs dropped the first reaction job for lack of memory;
// run(null) allocates a little and reports whether it could.
//
// It is written without line comments and with explicit semicolons so that
// it can be joined into one line: every stack frame inside it is then on
// line 1, which is how error positions tell its frames from the agent's.
const preludeSource = `(function () {
"use strict";
const g = globalThis;
const hostCall = g.__ic_call, hostLog = g.__ic_console, hostHelp = g.__ic_help, hostFinish = g.__ic_finish;
delete g.__ic_call; delete g.__ic_console; delete g.__ic_help; delete g.__ic_finish;
const layout = __LAYOUT__;
const maxResult = __MAX_RESULT__;
const stringify = JSON.stringify, parse = JSON.parse, freeze = Object.freeze, getProto = Object.getPrototypeOf;
const define = Object.defineProperty, create = Object.create, isArray = Array.isArray, ObjectProto = Object.prototype;
const Err = Error, TypeErr = TypeError, Str = String, then = Function.prototype.call.bind(Promise.prototype.then);

if (Symbol.dispose === undefined) { define(Symbol, "dispose", { value: Symbol.for("Symbol.dispose") }); }
if (Symbol.asyncDispose === undefined) { define(Symbol, "asyncDispose", { value: Symbol.for("Symbol.asyncDispose") }); }

const callTool = function (server, tool, label, args) {
	if (args === undefined) { args = {}; }
	if (typeof args !== "object" || args === null || isArray(args) || (getProto(args) !== ObjectProto && getProto(args) !== null)) {
		throw new TypeErr(label + " takes one plain object argument, like " + label + "({ ... })");
	}
	const r = hostCall(server, tool, stringify(args));
	switch (r[0]) {
	case 0: return r[1];
	case 1: return parse(r[1]);
	case 2: throw new Err("DENIED: " + r[1]);
	case 3: throw new TypeErr(r[1]);
	case 4: throw new Err("TOOL ERROR: " + r[1]);
	default: throw new Err(r[1]);
	}
};

const install = function (name, value) {
	define(g, name, { value: freeze(value), writable: false, enumerable: false, configurable: false });
};

for (let i = 0; i < layout.length; i++) {
	const ns = layout[i];
	if (ns.server in g || ns.server === "console" || ns.server === "help") {
		throw new Err("tool namespace " + stringify(ns.server) + " collides with a JavaScript global");
	}
	const obj = create(null);
	for (let j = 0; j < ns.tools.length; j++) {
		const t = ns.tools[j];
		const f = (...a) => {
			if (a.length > 1) { throw new TypeErr(t.label + " takes one argument, got " + a.length); }
			return callTool(ns.server, t.tool, t.label, a[0]);
		};
		define(f, "name", { value: t.tool });
		freeze(f);
		for (let k = 0; k < t.names.length; k++) { obj[t.names[k]] = f; }
	}
	install(ns.server, obj);
}

const show = function (v) {
	try {
		switch (typeof v) {
		case "string": return v;
		case "undefined": return "undefined";
		case "function": return "[Function " + (v.name || "anonymous") + "]";
		case "bigint": return Str(v) + "n";
		case "symbol": return v.toString();
		}
		if (v instanceof Err) { return Str(v); }
		const s = stringify(v);
		if (s !== undefined) { return s; }
		return Str(v);
	} catch (e) {
		try { return Str(v); } catch (e2) { return "[unprintable value]"; }
	}
};
const logger = function (level) {
	return (...a) => {
		let s = "";
		for (let i = 0; i < a.length; i++) { s += (i > 0 ? " " : "") + show(a[i]); }
		hostLog(level, s);
	};
};
const con = create(null);
con.log = logger("log"); con.info = logger("info"); con.warn = logger("warn");
con.error = logger("error"); con.debug = logger("debug"); con.trace = logger("debug"); con.dir = logger("log");
install("console", con);
install("help", (topic) => {
	hostLog("log", hostHelp(topic === undefined ? "" : Str(topic)));
});

const describe = function (e) {
	let name = "", message = "", stack = "";
	try {
		if (e !== null && (typeof e === "object" || typeof e === "function")) {
			const n = e.name, m = e.message, s = e.stack;
			if (typeof n === "string") { name = n; }
			if (typeof m === "string") { message = m; }
			if (typeof s === "string") { stack = s; }
			if (name === "" && message === "") { message = Str(e); }
		} else {
			message = Str(e);
		}
	} catch (x) {
		message = "uncaught exception that cannot be shown";
	}
	return [name, message, stack];
};
const fail = function (e) {
	const d = describe(e);
	hostFinish("exception", "", d[0], d[1], d[2]);
};
const tooBig = {};
const succeed = function (v) {
	let budget = maxResult, root = true, out;
	const bound = function (k, x) {
		const t = typeof x;
		if (t === "undefined" || t === "function" || t === "symbol") { return x; }
		if (root) { root = false; } else if (!isArray(this)) { budget -= k.length + 3; }
		if (t === "string") { budget -= x.length + 2; } else { budget -= (t === "object" ? 2 : 1); }
		if (budget < 0) { throw tooBig; }
		return x;
	};
	try {
		out = stringify(v, bound);
	} catch (e) {
		if (e === tooBig) {
			hostFinish("limit", "", "", "the return value is larger than " + maxResult + " bytes as JSON", "");
			return;
		}
		const d = describe(e);
		hostFinish("exception", "", d[0], "cannot encode the return value as JSON: " + d[1], d[2]);
		return;
	}
	hostFinish("ok", out === undefined ? "" : out, "", "", "");
};
let started = null;
return function (main) {
	if (main === null) { return new ArrayBuffer(1 << 20).byteLength > 0; }
	if (main === undefined) {
		if (started !== null) { then(started, succeed, fail); }
		return;
	}
	try {
		started = main();
		then(started, succeed, fail);
	} catch (e) {
		fail(e);
	}
};
})()`

// prelude returns the prelude for one execution as a single line.
func prelude(ns []namespace, maxResult int) (string, error) {
	data, err := json.Marshal(ns)
	if err != nil {
		return "", err
	}
	src := strings.NewReplacer(
		"__LAYOUT__", string(data),
		"__MAX_RESULT__", strconv.Itoa(maxResult),
	).Replace(preludeSource)
	src = strings.ReplaceAll(src, "\t", "")
	return strings.ReplaceAll(src, "\n", " "), nil
}
