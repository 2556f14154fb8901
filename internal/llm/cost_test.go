package llm

import (
	"math"
	"testing"
)

func TestEstimateCost(t *testing.T) {
	million := Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000}
	for _, tc := range []struct {
		model string
		u     Usage
		usd   float64
		known bool
	}{
		{"claude-sonnet-4-6", million, 18, true},
		{"anthropic:claude-sonnet-4-6", million, 18, true},
		{"claude-sonnet-4-5-20250929", million, 18, true},
		{"claude-opus-4-1-20250805", Usage{InputTokens: 1000}, 0.015, true},
		{"claude-opus-4-5", Usage{OutputTokens: 2000}, 0.05, true},
		{"claude-3-7-sonnet-latest", million, 18, true},
		{"gpt-4o-2024-08-06", million, 12.5, true},
		{"openai:gpt-4.1-mini", Usage{InputTokens: 500_000}, 0.2, true},
		{"GPT-4o", million, 12.5, true},
		{"claude-opus-9", million, 0, false},
		{"openai-compatible:gpt-4o", million, 0, false},
		{"llama3.1:8b", million, 0, false},
		{"", million, 0, false},
		{"claude-sonnet-4-6", Usage{InputTokens: -1_000_000, OutputTokens: 1000}, 0.015, true},
	} {
		usd, known := EstimateCost(tc.model, tc.u)
		if known != tc.known || math.Abs(usd-tc.usd) > 1e-9 {
			t.Errorf("EstimateCost(%q, %+v) = %v, %v, want %v, %v", tc.model, tc.u, usd, known, tc.usd, tc.known)
		}
	}
}
