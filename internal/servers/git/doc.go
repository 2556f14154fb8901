// Package git is the bundled git MCP server: the core git operations
// (status, log, diff, show, add, commit, branch, checkout, init, clone,
// fetch, pull, push, remote, reset, stash, tag, merge, and a per-session
// working directory) under the same tool and argument names as the
// TypeScript IronCurtain's git server, so compiled policies written for that
// server apply unchanged.
//
// It owns translating a tool call into one explicit git argv and running
// the real git binary for it. It sits on the trusted side of the boundary
// as the last step after the policy check, but it does not rely on that
// check: every argument comes from the confined agent and is treated as
// hostile, and so is every repository it touches, because the agent can
// usually write files inside the sandbox, including .git/config and hooks.
//
// Hence, for every call:
//   - every path must resolve, through symlinks, inside one of Config.Roots,
//     and so must the repository's git directory, common directory and work
//     tree (a .git file or core.worktree cannot lead outside);
//   - repository discovery stops at the roots (GIT_CEILING_DIRECTORIES);
//   - values that git could read as options are placed after "--" or
//     refused, and option values are passed in the single-argument
//     "--opt=value" form;
//   - git runs without a shell, with a scrubbed environment, an empty
//     private HOME, no system or global config, no hooks, no credential
//     helpers, no prompts, no pager, no editor, no signing, no automatic gc
//     and only the https, http and ssh transports (file only when
//     Config.AllowFileProtocol says so);
//   - repository config that would make git run a command we cannot
//     switch off from the command line (filter and merge drivers, external
//     diff and textconv, remote upload/receive-pack, config-defined hooks,
//     core.gitProxy and similar) makes the call fail instead.
//
// It must not run anything but git, must not read or write outside the
// roots on the agent's behalf, must not pass credentials unless the
// operator configured them (Config.Env, Config.AllowCredentialHelpers), and
// must not panic on any input: failures are tool results with IsError set.
// What git itself prints is returned as text, truncated at a limit.
//
// What it cannot close on its own: the repository can change between the
// checks and git's run (the OS cage around this server is the layer that
// bounds that race), and ssh reads keys and known hosts from the home
// directory in the password database, not from HOME.
package git
