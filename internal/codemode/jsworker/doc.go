// Package jsworker is the inside of the code runner: it turns the agent's
// TypeScript into JavaScript and runs it in a fresh modernc.org/quickjs VM
// whose only host objects are the tool namespaces, console and help. Run is
// the body of the hidden worker subcommand and executes after the cage has
// locked the process down.
//
// It sits on the untrusted side of the boundary. The code it runs is
// hostile by definition, and so is anything that code can reach: the VM
// may be subverted, so nothing here is a security control on its own. The
// cage around the process and the parent's checks of every message are.
// What this package does own is keeping honest scripts inside their limits
// (memory, time, result, console and tool-call budgets) and turning every
// failure into a one-line Done the parent can show.
//
// It treats its pipe peer as hostile too: tool results are decoded
// strictly by runnerproto, and a malformed one surfaces in the script as a
// thrown Error, never as a panic or a hang.
//
// It imports only runnerproto, quickjs, esbuild and the standard library
// (TestDeps enforces this): no policy, gateway, audit or anything else
// trusted may be linked into the code that agent code can reach. It must
// never call quickjs's SetDefaultModuleLoader or StdAddHelpers, which
// would give the VM the host's filesystem and stdout, and it writes to the
// pipe only through runnerproto.
package jsworker
