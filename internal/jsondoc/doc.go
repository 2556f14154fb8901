// Package jsondoc parses JSON strictly into an ordered tree whose every node
// knows its JSON path, so that loaders can report "file: rules[3].if: problem"
// and see object members in the order they were written.
//
// It sits on the trusted side but its input is hostile: policy files may be
// hand-edited or tampered with, and tool-call arguments come from the agent.
// Parse therefore rejects what encoding/json quietly accepts: invalid UTF-8,
// duplicate object keys (a second "then" must not silently win), trailing
// data, excessive nesting and oversized documents. Documents that are
// valid are read in one pass; the token decoder reads the rest, so that
// every refusal names its line and column. ObjectMembers splits an object
// into its members without decoding them, for callers that route messages.
//
// It imports only the standard library and nothing of ours, so the policy
// engine may depend on it.
package jsondoc
