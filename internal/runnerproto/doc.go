// Package runnerproto is the only language the code runner's worker and
// its parent speak over the worker's pipe: newline-delimited JSON messages,
// each at most MaxMessageSize bytes, decoded strictly (unknown fields,
// invalid UTF-8 and oversized messages are errors).
//
// Both sides treat the peer as hostile. The worker runs agent code and may
// be compromised; the parent must never trust its messages beyond their
// shape. Fields are only ever added, never repurposed. The worker side
// imports this package and nothing trusted (no policy, gateway, audit).
package runnerproto
