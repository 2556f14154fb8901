// Package defaultpolicy carries the policy IronCurtain uses when the user
// has compiled none: a constitution in plain words, the rules hand-written
// from it, the documentation-site list, the annotations of the bundled
// servers' tools, and the scenarios the rules must pass. It is data only,
// embedded in the binary, and imports nothing of ours.
package defaultpolicy
