// Package scenario loads test-scenarios.json files (the TypeScript
// IronCurtain's format) and runs them against a policy engine: the proof
// that a compiled policy does what its constitution says before it is used.
//
// Scenario files are trusted-side artifacts but are parsed strictly; a
// malformed file is an error naming the file and JSON path. The package
// decides pass or fail only by comparing decisions.
package scenario
