package agent

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxArgsShown bounds one tool call's arguments in the report to the
// model: the model wrote them and does not need them back in full.
const maxArgsShown = 300

// FormatExecution renders an execution as the tool result the model
// reads: every tool call and its fate, the console, the value and the
// error, cut to limit bytes in the middle. Whether anything was denied is
// reported so the caller can flag the result.
func FormatExecution(ex Execution, limit int) (text string, denied bool) {
	var b strings.Builder
	if len(ex.Calls) > 0 {
		fmt.Fprintf(&b, "Tool calls (%d):\n", len(ex.Calls))
		for i, c := range ex.Calls {
			fmt.Fprintf(&b, "%d. %s.%s %s -> ", i+1, c.Server, c.Tool, clip(string(c.Args), maxArgsShown))
			switch c.Outcome {
			case OutcomeOK:
				b.WriteString("ok")
			case OutcomeDenied:
				denied = true
				b.WriteString("DENIED: " + strings.TrimPrefix(c.Detail, "DENIED: "))
			default:
				b.WriteString("error: " + c.Detail)
			}
			b.WriteString("\n")
		}
	}
	if len(ex.Console) > 0 {
		b.WriteString("Console:\n")
		for _, l := range ex.Console {
			if l.Level != "" && l.Level != "log" {
				fmt.Fprintf(&b, "[%s] ", l.Level)
			}
			b.WriteString(l.Text)
			b.WriteString("\n")
		}
	}
	if ex.Error != "" {
		kind := ex.Kind
		if kind == "" {
			kind = "error"
		}
		fmt.Fprintf(&b, "Error (%s): %s\n", kind, ex.Error)
		if strings.HasPrefix(ex.Error, "DENIED:") || strings.Contains(ex.Error, "Error: DENIED:") {
			denied = true
		}
	} else if len(ex.Value) > 0 {
		fmt.Fprintf(&b, "Result: %s\n", ex.Value)
	} else {
		b.WriteString("Result: undefined\n")
	}
	if denied {
		b.WriteString("Note: a call was DENIED by the user's policy. Do not retry it or work around it; tell the user what was denied and why.\n")
	}
	return Truncate(b.String(), limit), denied
}

// clip cuts s to about max bytes on a rune boundary.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d more bytes)", s[:cut], len(s)-cut)
}

// loopLimit is how many times in a row the same code may give the same
// result before the turn is stopped.
const loopLimit = 3

// loopDetector spots a model that keeps running the same code and
// getting the same result: it is not learning anything, only spending.
type loopDetector struct {
	last  [32]byte
	count int
}

// observe records one execution and reports whether it completes a loop.
func (l *loopDetector) observe(code, result string) bool {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s%d:%s", len(code), code, len(result), result)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	if l.count > 0 && k == l.last {
		l.count++
	} else {
		l.last, l.count = k, 1
	}
	return l.count >= loopLimit
}
