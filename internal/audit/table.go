package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Column widths of the tail table, in runes.
const (
	colTime     = 8
	colTool     = 32
	colDecision = 36
	colResult   = 22
	colDuration = 9
	colArgs     = 50
)

// TableHeader is the first line of the table FormatRow's lines belong to.
func TableHeader() string {
	return strings.Join([]string{
		cell("TIME", colTime), cell("SERVER/TOOL", colTool), cell("DECISION", colDecision),
		cell("RESULT", colResult), cell("DURATION", colDuration), "ARGS",
	}, " ")
}

// FormatRow renders a record as one line of the tail table (no newline),
// with its time in loc. Every field passes through Sanitize, because the
// agent chose the arguments and tool names and a hostile log file chose
// everything: nothing in a row can move the cursor, recolor the terminal
// or start a new line.
func FormatRow(r Record, loc *time.Location) string {
	decision := r.Decision.Status
	if r.Escalation != nil {
		decision += "/" + r.Escalation.Outcome
	}
	if r.Decision.Rule != "" {
		decision += " " + r.Decision.Rule
	}
	result := r.Result.Status
	if r.Result.Error != "" {
		result += ": " + r.Result.Error
	}
	return strings.Join([]string{
		cell(r.Timestamp.In(loc).Format("15:04:05"), colTime),
		cell(r.Server+"/"+r.Tool, colTool),
		cell(decision, colDecision),
		cell(result, colResult),
		cell(formatDuration(r.DurationMs), colDuration),
		Sanitize(argsSummary(r.Arguments), colArgs),
	}, " ")
}

func argsSummary(args map[string]any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return "(unprintable arguments)"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func formatDuration(ms float64) string {
	switch {
	case ms < 1:
		return fmt.Sprintf("%.0fµs", ms*1000)
	case ms < 1000:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.2fs", ms/1000)
}

// cell sanitizes s and pads it to width runes.
func cell(s string, width int) string {
	s = Sanitize(s, width)
	if n := utf8.RuneCountInString(s); n < width {
		s += strings.Repeat(" ", width-n)
	}
	return s
}

// Sanitize makes agent-chosen text safe to print on one terminal line:
// control characters (C0, C1, DEL), format characters (bidirectional
// overrides, zero-width joiners), line and paragraph separators and invalid
// UTF-8 become '?', and the result is cut to at most max runes, ending in
// '…' when cut. limit <= 0 means no limit.
func Sanitize(s string, limit int) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if limit > 0 && n == limit-1 && utf8.RuneCountInString(s[i:]) > 1 {
			b.WriteRune('…')
			return b.String()
		}
		if unsafeRune(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// unsafeRune reports runes a terminal may act on or that can fake layout:
// C0 and C1 controls, DEL, format characters (bidirectional overrides,
// zero-width ones), line and paragraph separators, and the replacement
// character that stands for invalid UTF-8.
func unsafeRune(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// SafeJSON returns a line as one compact JSON text that is safe to print:
// the same value, with every rune unsafeRune names written as a \u escape
// (encoding/json leaves C1 controls and bidirectional overrides raw). It
// refuses a line that is not valid UTF-8 JSON.
func SafeJSON(line []byte) ([]byte, error) {
	if !utf8.Valid(line) || !json.Valid(line) {
		return nil, errors.New("not valid JSON")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, line); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	// After Compact, unsafe runes can only be inside strings, where an
	// escape means the same character.
	out := make([]byte, 0, compact.Len())
	for _, r := range compact.String() {
		if !unsafeRune(r) {
			out = utf8.AppendRune(out, r)
			continue
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out, nil
}
