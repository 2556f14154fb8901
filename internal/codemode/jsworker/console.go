package jsworker

import (
	"fmt"
	"unicode/utf8"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// consoleBuffer keeps console output up to a budget counted in bytes as
// JSON-encoded in the Done message, so that a script printing control
// characters (six bytes each once escaped) cannot push Done past the
// message size. Past the budget it keeps a cut line and one marker.
type consoleBuffer struct {
	lines     []runnerproto.ConsoleLine
	used, max int
	truncated bool
}

// TruncatedMarker is the text of the warning line that ends console output
// cut at the limit.
const TruncatedMarker = "[console output truncated]"

// perLine is the JSON overhead of one ConsoleLine beyond its text, counted
// so that many tiny lines cannot exceed the budget either.
const perLine = len(`{"level":"debug","text":""},`)

func (c *consoleBuffer) add(level, text string) {
	if c.truncated {
		return
	}
	switch level {
	case "log", "info", "warn", "error", "debug":
	default:
		level = "log"
	}
	left := c.max - c.used - perLine
	n, fits := encodedPrefix(text, left)
	if fits {
		c.used += perLine + n
		c.lines = append(c.lines, runnerproto.ConsoleLine{Level: level, Text: text})
		return
	}
	if n > 0 {
		c.lines = append(c.lines, runnerproto.ConsoleLine{Level: level, Text: text[:cutAt(text, left)]})
	}
	c.lines = append(c.lines, runnerproto.ConsoleLine{Level: "warn",
		Text: fmt.Sprintf("%s at %d bytes", TruncatedMarker, c.max)})
	c.truncated = true
}

// encodedPrefix reports the JSON-encoded size of s and whether it fits in
// budget; when it does not, the size returned is that of the longest
// prefix that does.
func encodedPrefix(s string, budget int) (int, bool) {
	n := 0
	for _, r := range s {
		k := encodedRuneLen(r)
		if n+k > budget {
			return n, false
		}
		n += k
	}
	return n, true
}

// cutAt is the byte offset of the longest prefix of s whose encoding fits
// in budget.
func cutAt(s string, budget int) int {
	n := 0
	for i, r := range s {
		k := encodedRuneLen(r)
		if n+k > budget {
			return i
		}
		n += k
	}
	return len(s)
}

// encodedRuneLen is an upper bound of what encoding/json writes for r.
func encodedRuneLen(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029 || r == utf8.RuneError:
		return 6
	}
	if n := utf8.RuneLen(r); n > 0 {
		return n
	}
	return 6
}
