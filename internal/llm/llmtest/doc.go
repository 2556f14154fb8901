// Package llmtest runs scripted stand-ins for the Anthropic Messages API and
// the OpenAI Chat Completions API on 127.0.0.1, speaking their real wire
// formats (JSON requests; server-sent-event streams with the providers' own
// event shapes; provider-shaped error bodies), so tests can drive the real
// SDK clients end to end without a network or a key.
//
// It is test-only code on the trusted side. What it receives is the code
// under test's output, so it is checked like hostile input: every request
// must be well formed the way the real APIs insist (model, messages, tool
// declarations, tool results answering the calls before them), and a
// malformed one fails the test and gets the 400 the real API would give.
// It must not be imported outside tests, and must never be given a real key:
// tests build obviously fake keys at run time.
package llmtest
