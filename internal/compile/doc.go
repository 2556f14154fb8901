// Package compile turns a plain-English constitution into the rules the
// policy engine enforces, and proves them before they are used: per server
// it asks an LLM for rules, asks again for test scenarios, runs every
// scenario on a real policy.Engine, lets an LLM judge attribute each failure
// to the rule or to the scenario, applies the judge's point-fix patches
// mechanically and verifies again, for a bounded number of rounds. Rules
// may name a category of values as an "@list"; each list is resolved with
// one model call, its values canonicalized by type, cached by the hash of
// its definition, and written to dynamic-lists.json beside the policy,
// where the user's manual additions and removals are kept across
// compilations and refresh-lists runs.
//
// It sits on the trusted side, but everything a model says is hostile input:
// rules, list definitions and values, scenarios, verdicts and patches are
// parsed strictly and validated by the same loaders the engine uses
// (policy.ParsePolicy, scenario.Parse) before anything acts on them. A rule may only speak about the server it
// was compiled for; a judge may re-label a generated scenario but never a
// handwritten one. Whether a server passes is decided only by comparing the
// engine's decisions with the expected ones, never by reading model prose.
//
// It must not produce artifacts that the engine would refuse, must not
// report a server as verified while one of its scenarios fails, must not
// call the model for a server whose inputs are unchanged since the cached
// run, and must never put an API key into the interactions log (it never
// sees one: providers hold their keys). Deploy replaces the deployed files
// only after all of them have been written and validated.
package compile
