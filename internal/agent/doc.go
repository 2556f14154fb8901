// Package agent is the builtin agent: the conversation with a language
// model that may answer only by writing code, the one tool it is offered
// (execute_code), the budgets that bound a session (tokens, model steps,
// active wall-clock time, estimated cost), loop detection, the session
// directory with its transcript and interaction log, and the interactive
// REPL of `ironcurtain start`.
//
// It sits on the trusted side, but everything it relays is hostile: the
// model's text and code, the values, console output and tool results that
// come back from the sandbox, and the transcript and state files read back
// on --resume (they live in the protected home, yet a crash can tear them
// and a person can edit them). Text shown on a terminal is escaped; files
// read back are parsed strictly with size limits.
//
// It must not run code or tools itself: code goes to an Executor (the
// caged code runner, whose tool calls pass the gateway's policy), and the
// model is reached only through a Provider. It must never log or persist a
// credential: providers hold their keys, and nothing here sees them. It
// never decides a tool call and never answers an escalation on its own;
// the REPL only relays what the person at the terminal typed.
package agent
