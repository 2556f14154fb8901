package agent

import (
	"fmt"
	"unicode/utf8"
)

// DefaultResultLimit bounds the text of one execute_code result fed back
// to the model: enough for a file listing or a page of output, small
// enough that one noisy script does not eat the context window.
const DefaultResultLimit = 20 << 10

// Truncate keeps s within limit bytes by cutting its middle: the head
// says what the output is about and the tail usually holds the error or
// the final value, so both survive. The cut falls on rune boundaries and
// says how much was dropped. A limit below 64 is raised to 64.
func Truncate(s string, limit int) string {
	if limit < 64 {
		limit = 64
	}
	if len(s) <= limit {
		return s
	}
	// The marker's length depends on the number it prints; reserve enough
	// for any int.
	const markerMax = len("\n\n[... 9223372036854775807 bytes omitted ...]\n\n")
	keep := limit - markerMax
	if keep < 2 {
		keep = 2
	}
	head := keep / 2
	for head > 0 && !utf8.RuneStart(s[head]) {
		head--
	}
	tail := len(s) - (keep - head)
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return fmt.Sprintf("%s\n\n[... %d bytes omitted ...]\n\n%s", s[:head], tail-head, s[tail:])
}
