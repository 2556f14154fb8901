package llm

import (
	"regexp"
	"strings"
)

// price is list price in US dollars per million tokens.
type price struct{ in, out float64 }

// prices are list prices for standard (not batch, not cached) use. They are
// an estimate for budgets, not a bill: cache reads are counted at the full
// input price, so estimates err high. Models not listed are unknown rather
// than guessed from a family name, because a family's versions differ by up
// to a factor of three (claude-opus-4-1 against claude-opus-4-5).
var prices = map[string]price{
	"claude-opus-4-6":   {5, 25},
	"claude-opus-4-5":   {5, 25},
	"claude-opus-4-1":   {15, 75},
	"claude-opus-4-0":   {15, 75},
	"claude-opus-4":     {15, 75},
	"claude-sonnet-4-6": {3, 15},
	"claude-sonnet-4-5": {3, 15},
	"claude-sonnet-4-0": {3, 15},
	"claude-sonnet-4":   {3, 15},
	"claude-3-7-sonnet": {3, 15},
	"claude-haiku-4-5":  {1, 5},
	"claude-3-5-haiku":  {0.80, 4},
	"claude-3-haiku":    {0.25, 1.25},

	"gpt-5.1":      {1.25, 10},
	"gpt-5":        {1.25, 10},
	"gpt-5-mini":   {0.25, 2},
	"gpt-5-nano":   {0.05, 0.40},
	"gpt-4.1":      {2, 8},
	"gpt-4.1-mini": {0.40, 1.60},
	"gpt-4.1-nano": {0.10, 0.40},
	"gpt-4o":       {2.50, 10},
	"gpt-4o-mini":  {0.15, 0.60},
	"o3":           {2, 8},
	"o3-mini":      {1.10, 4.40},
	"o4-mini":      {1.10, 4.40},
}

// dateSuffix matches the snapshot dates providers append to model names:
// -20250929 (Anthropic), -2024-08-06 (OpenAI), and -latest.
var dateSuffix = regexp.MustCompile(`-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$`)

// EstimateCost prices a usage at list price. model may be a bare model name
// ("claude-sonnet-4-6"), a dated snapshot ("gpt-4o-2024-08-06") or a spec
// ("anthropic:claude-sonnet-4-6"). known is false for models not in the
// table (including every local model), and usd is then 0.
func EstimateCost(model string, u Usage) (usd float64, known bool) {
	if p, m, err := ParseSpec(model); err == nil {
		if p == OpenAICompatible {
			return 0, false // a local or third-party server's prices are its own
		}
		model = m
	}
	model = dateSuffix.ReplaceAllString(strings.ToLower(model), "")
	p, ok := prices[model]
	if !ok {
		return 0, false
	}
	// A provider's counts are not trusted to be sane: a negative count must
	// not buy budget back.
	in, out := max(u.InputTokens, 0), max(u.OutputTokens, 0)
	return (float64(in)*p.in + float64(out)*p.out) / 1e6, true
}
