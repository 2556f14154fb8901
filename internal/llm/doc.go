// Package llm talks to language-model providers — Anthropic (Messages API),
// OpenAI (Chat Completions) and any OpenAI-compatible endpoint such as a
// local Ollama or vLLM — through their official Go SDKs, behind one small
// Provider interface, and estimates what a call cost.
//
// It sits on the trusted side: it holds the real API keys, and the agent's
// cage never reaches it except through the agent loop. Everything that comes
// back from a provider is treated as hostile: model text and tool-call
// arguments are attacker-influenced (prompt injection reaches the model), and
// an endpoint named by a base URL may be anything. Responses are size-bounded,
// tool inputs are always handed on as valid JSON, and a stream that ends
// before the provider says it is finished is an error, not a short answer.
//
// It must not leak keys: keys are read only from the Config it is given (never
// from the SDKs' own environment lookups), are never sent over plain HTTP to a
// host other than loopback, never cross to an endpoint they were not
// configured for, and never appear in errors. It must not decide anything
// about policy; it only carries messages. Nothing in the cage may import it.
package llm
