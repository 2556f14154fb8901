package fetch

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPrefixDepth bounds how many nested list and quote prefixes are
// written per line. Without it a page of deeply nested blockquotes would
// make the output quadratic in the input; past this depth nesting is
// simply not shown.
const maxPrefixDepth = 8

// linePrefix is written at the start of each line inside a list item or
// quote: first on the item's first line (the "- " marker), rest after.
type linePrefix struct {
	first, rest string
	used        bool
}

// inlineMark is an emphasis or link wrapper. Its start is written lazily,
// before the first text inside it, so that empty elements leave no "****"
// behind; its end only if the start was written.
type inlineMark struct {
	start, end string
	written    bool
}

// textWriter accumulates converted output with collapsed whitespace. Block
// breaks are requested, not written, so that consecutive requests merge
// and nothing trails the last text. It stops accepting output once limit
// bytes are written (limit 0 means no limit).
type textWriter struct {
	b         strings.Builder
	limit     int
	full      bool
	started   bool // any text written
	lineStart bool // at the start of a line: prefixes not yet written
	newlines  int  // pending line breaks, at most 2
	space     bool // pending collapsed whitespace
	flat      int  // > 0 inside table cells: breaks become spaces
	prefixes  []linePrefix
	marks     []inlineMark
}

func newTextWriter(limit int) *textWriter {
	return &textWriter{limit: limit, lineStart: true}
}

// block requests a blank line before the next text.
func (w *textWriter) block() { w.breakLines(2, false) }

// line requests a line break before the next text.
func (w *textWriter) line() { w.breakLines(1, false) }

// br adds a line break to any already pending, so <br><br> leaves a gap.
func (w *textWriter) br() { w.breakLines(1, true) }

func (w *textWriter) breakLines(n int, add bool) {
	if w.flat > 0 {
		w.space = true
		return
	}
	if !w.started {
		return
	}
	if add {
		n += w.newlines
	}
	w.newlines = min(max(w.newlines, n), 2)
	w.space = false
}

// gap requests a space before the next content.
func (w *textWriter) gap() {
	if w.started {
		w.space = true
	}
}

// text writes s with runs of whitespace collapsed to one space and
// control characters dropped.
func (w *textWriter) text(s string) {
	for _, r := range s {
		if w.full {
			return
		}
		if unicode.IsSpace(r) {
			if w.started {
				w.space = true
			}
			continue
		}
		if dropRune(r) {
			continue
		}
		w.flush()
		w.b.WriteRune(r)
		w.wrote()
	}
}

// raw writes s as one unit of markup (a fence, a rule, an image), with
// control characters and line breaks removed.
func (w *textWriter) raw(s string) {
	if w.full || s == "" {
		return
	}
	w.flush()
	w.writeClean(s)
	w.wrote()
}

// pre writes preformatted text: whitespace and line breaks are kept, and
// every line gets the current prefixes.
func (w *textWriter) pre(s string) {
	for i, ln := range strings.Split(s, "\n") {
		if w.full {
			return
		}
		if i > 0 {
			w.b.WriteByte('\n')
			w.lineStart = true
		}
		ln = strings.TrimRight(ln, "\r")
		if ln == "" {
			continue
		}
		w.flush()
		for _, r := range ln {
			if r == '\t' || !dropRune(r) {
				w.b.WriteRune(r)
			}
		}
		w.wrote()
	}
}

// open starts an inline wrapper; close must follow after its content.
func (w *textWriter) open(start, end string) {
	w.marks = append(w.marks, inlineMark{start: start, end: end})
}

func (w *textWriter) close() {
	m := w.marks[len(w.marks)-1]
	w.marks = w.marks[:len(w.marks)-1]
	if m.written && !w.full {
		w.b.WriteString(m.end)
		w.wrote()
	}
}

// push starts a prefixed region (list item, quote); pop ends it.
func (w *textWriter) push(first, rest string) {
	w.prefixes = append(w.prefixes, linePrefix{first: first, rest: rest})
}

func (w *textWriter) pop() { w.prefixes = w.prefixes[:len(w.prefixes)-1] }

// flush writes pending breaks, prefixes, the pending space and unwritten
// inline starts, in that order, before new content.
func (w *textWriter) flush() {
	if w.newlines > 0 {
		for i := 0; i < w.newlines; i++ {
			if i > 0 {
				w.writeBlankPrefix()
			}
			w.b.WriteByte('\n')
		}
		w.newlines = 0
		w.space = false
		w.lineStart = true
	}
	if w.lineStart {
		w.writePrefixes()
		w.lineStart = false
		w.space = false
	}
	if w.space {
		w.b.WriteByte(' ')
		w.space = false
	}
	for i := range w.marks {
		if !w.marks[i].written {
			w.b.WriteString(w.marks[i].start)
			w.marks[i].written = true
		}
	}
	w.started = true
}

func (w *textWriter) writePrefixes() {
	for i := range w.prefixes[:min(len(w.prefixes), maxPrefixDepth)] {
		p := &w.prefixes[i]
		if p.used {
			w.b.WriteString(p.rest)
		} else {
			w.b.WriteString(p.first)
			p.used = true
		}
	}
}

// writeBlankPrefix keeps a blank line inside a quote quoted (">").
func (w *textWriter) writeBlankPrefix() {
	var s strings.Builder
	for _, p := range w.prefixes[:min(len(w.prefixes), maxPrefixDepth)] {
		s.WriteString(p.rest)
	}
	w.b.WriteString(strings.TrimRight(s.String(), " "))
}

func (w *textWriter) writeClean(s string) {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			w.b.WriteByte(' ')
		case !dropRune(r):
			w.b.WriteRune(r)
		}
	}
}

func (w *textWriter) wrote() {
	if w.limit > 0 && w.b.Len() >= w.limit {
		w.full = true
	}
}

// String returns the output, cut at the limit on a rune boundary.
func (w *textWriter) String() string {
	s := w.b.String()
	if w.limit > 0 && len(s) > w.limit {
		// Everything written is valid UTF-8, so this drops only a rune
		// the cut split.
		s = strings.ToValidUTF8(s[:w.limit], "")
	}
	return strings.TrimRight(s, " \n")
}

// dropRune reports characters that carry no text: C0 and C1 controls,
// invalid UTF-8, and the bidi embedding, override and isolate controls,
// which can make text read differently from what it says.
func dropRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == utf8.RuneError:
		return false // keep the replacement character: it marks lost bytes
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
