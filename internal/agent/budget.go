package agent

import (
	"fmt"
	"strings"
	"time"
)

// Budget bounds a whole session, across turns and resumes. A zero field
// is no limit on that dimension.
type Budget struct {
	// Tokens bounds input plus output tokens over every model call.
	Tokens int64
	// Steps bounds model calls: each request and its response is a step.
	Steps int
	// WallClock bounds the time spent inside turns (waiting for the model,
	// running code, waiting for approvals); time between turns and between
	// resumes does not count.
	WallClock time.Duration
	// CostUSD bounds the estimated cost in US dollars. Models whose price
	// is unknown (local servers) add nothing, and the session says so once.
	CostUSD float64
}

// DefaultBudget is what `ironcurtain start` uses when no flag says
// otherwise: generous for a working session, small enough that a runaway
// agent stops before it costs much.
func DefaultBudget() Budget {
	return Budget{Tokens: 2_000_000, Steps: 200, WallClock: time.Hour, CostUSD: 5}
}

// Check refuses negative or non-finite limits.
func (b Budget) Check() error {
	switch {
	case b.Tokens < 0:
		return fmt.Errorf("token budget %d is negative", b.Tokens)
	case b.Steps < 0:
		return fmt.Errorf("step budget %d is negative", b.Steps)
	case b.WallClock < 0:
		return fmt.Errorf("wall-clock budget %v is negative", b.WallClock)
	case !(b.CostUSD >= 0) || b.CostUSD > 1e9: // also refuses NaN
		return fmt.Errorf("cost budget %v is not a positive amount of dollars", b.CostUSD)
	}
	return nil
}

// Dimension names one budget dimension.
type Dimension string

// The budget dimensions, in the order they are reported.
const (
	DimTokens    Dimension = "tokens"
	DimSteps     Dimension = "steps"
	DimWallClock Dimension = "wall clock"
	DimCost      Dimension = "cost"
)

// dimensionOrder is the order budgets are checked and reported in.
func dimensionOrder() [4]Dimension { return [4]Dimension{DimTokens, DimSteps, DimWallClock, DimCost} }

// warnFraction is where a dimension's one warning is given.
const warnFraction = 0.8

// Spent is what a session has used so far. It is saved with the session,
// so a resumed session continues from it.
type Spent struct {
	InputTokens  int64         `json:"inputTokens"`
	OutputTokens int64         `json:"outputTokens"`
	Steps        int           `json:"steps"`
	WallClock    time.Duration `json:"wallClockNanos"`
	CostUSD      float64       `json:"costUSD"`
	// CostUnknown says some step's cost could not be estimated.
	CostUnknown bool `json:"costUnknown,omitempty"`
}

// Tokens is input plus output tokens.
func (s Spent) Tokens() int64 { return s.InputTokens + s.OutputTokens }

// used returns spent and limit of one dimension as float64; limit 0 is no
// limit.
func used(b Budget, s Spent, d Dimension) (spent, limit float64) {
	switch d {
	case DimTokens:
		return float64(s.Tokens()), float64(b.Tokens)
	case DimSteps:
		return float64(s.Steps), float64(b.Steps)
	case DimWallClock:
		return float64(s.WallClock), float64(b.WallClock)
	case DimCost:
		return s.CostUSD, b.CostUSD
	}
	return 0, 0
}

// Exhausted returns the first dimension whose limit has been reached.
func Exhausted(b Budget, s Spent) (Dimension, bool) {
	for _, d := range dimensionOrder() {
		if v, lim := used(b, s, d); lim > 0 && v >= lim {
			return d, true
		}
	}
	return "", false
}

// crossedWarning returns the dimensions at or past 80% that are not yet in
// warned, in report order.
func crossedWarning(b Budget, s Spent, warned map[Dimension]bool) []Dimension {
	var out []Dimension
	for _, d := range dimensionOrder() {
		if v, lim := used(b, s, d); lim > 0 && v >= warnFraction*lim && !warned[d] {
			out = append(out, d)
		}
	}
	return out
}

// FormatDimension renders one dimension as "spent / limit (pct%)".
func FormatDimension(b Budget, s Spent, d Dimension) string {
	v, lim := used(b, s, d)
	var spent, limit string
	switch d {
	case DimTokens:
		spent, limit = fmt.Sprint(s.Tokens()), fmt.Sprint(b.Tokens)
	case DimSteps:
		spent, limit = fmt.Sprint(s.Steps), fmt.Sprint(b.Steps)
	case DimWallClock:
		spent, limit = s.WallClock.Round(time.Second).String(), b.WallClock.String()
	case DimCost:
		spent, limit = fmt.Sprintf("$%.4f", s.CostUSD), fmt.Sprintf("$%.2f", b.CostUSD)
		if s.CostUnknown {
			spent += " (some steps of unknown price)"
		}
	}
	if lim <= 0 {
		return spent + " (no limit)"
	}
	return fmt.Sprintf("%s / %s (%.0f%%)", spent, limit, 100*v/lim)
}

// FormatBudget renders every dimension, one per line.
func FormatBudget(b Budget, s Spent) string {
	var sb strings.Builder
	for _, d := range dimensionOrder() {
		fmt.Fprintf(&sb, "%-10s %s\n", d, FormatDimension(b, s, d))
	}
	return sb.String()
}
