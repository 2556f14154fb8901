// Package jsondoc parses JSON strictly into an ordered tree whose every node
// knows its JSON path, so that loaders can report "file: rules[3].if: problem"
// and see object members in the order they were written.
//
// It sits on the trusted side but its input is hostile: policy files may be
// hand-edited or tampered with, and tool-call arguments come from the agent.
// Parse therefore rejects what encoding/json quietly accepts: invalid UTF-8,
// duplicate object keys (a second "then" must not silently win), trailing
// data, excessive nesting and oversized documents.
//
// It imports only the standard library and nothing of ours, so the policy
// engine may depend on it.
package jsondoc
