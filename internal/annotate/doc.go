// Package annotate asks an LLM which role each argument of each MCP tool
// plays (read-path, fetch-url, ...) and turns the answers into the
// tool-annotations.json the policy engine loads.
//
// It sits on the trusted side, but everything the model says is hostile
// input: a model can be wrong, confused or steered by a tool description a
// malicious server wrote. Its answer is parsed strictly and validated tool by
// tool (every schema argument annotated, only known roles, conditions that
// name another argument and narrow the default); a tool whose answer is
// still invalid after one repair round is left out of the file, so the
// engine keeps denying it. Tool descriptions and schemas from servers are
// hostile too: they only ever reach the model as quoted JSON data.
//
// It must not write a file the policy package would refuse, must not call
// the model for a tool whose server, name, description and schema are
// unchanged since the last run, and must never put an API key into the
// interactions log (it never sees one: providers hold their keys).
package annotate
