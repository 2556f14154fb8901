// Package audit is the append-only, hash-chained record of every tool call:
// one JSON line per call whatever its fate, written and fsync'd before the
// call's result is returned, each line carrying the SHA-256 of the line
// before it so that an edited, deleted, inserted, reordered or torn line is
// found by Verify. A chain cannot show its own last lines cut off; the
// writer's Head, kept elsewhere, and VerifyHead can.
//
// It sits on the trusted side of the boundary. The agent chose every
// argument, tool name and (through the servers it drives) every error text a
// record carries, so Append redacts known secret shapes from them before they
// reach the disk (a net for known shapes, not a promise about unknown ones), and the encoder escapes them so no value can end a line or
// forge another record. The log file itself is read as hostile: Verify, Open
// and the tail helpers bound line sizes, reject what they cannot parse, and
// FormatRow strips control and bidirectional-formatting characters before
// anything reaches a terminal.
//
// The gateway imports it to write records, the CLI to verify and show them
// (`ironcurtain audit verify|tail`).
//
// It must fail closed: after any write or sync failure a Log refuses every
// later record, so the gateway stops forwarding calls rather than forwarding
// them unrecorded. It must never return or print unredacted arguments, never
// rewrite or truncate a log, and never import the gateway, the policy engine
// or the CLI.
package audit
