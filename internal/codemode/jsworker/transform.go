package jsworker

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/evanw/esbuild/pkg/api"
)

// The agent writes a function body: top-level await and a final return are
// allowed. Wrapping it as an async arrow before esbuild sees it gives both,
// and "use strict" on the same line makes assignments to the frozen tool
// objects throw instead of failing silently. Everything the user wrote
// starts on line 2, which is the only offset error positions need.
const (
	wrapPrefix = "(async () => {\"use strict\";\n"
	wrapSuffix = "\n})"
	wrapLines  = 1 // lines wrapPrefix adds before the user's first line
)

// MaxCodeSize bounds the agent's code. esbuild parses by recursion on the
// goroutine stack, and a megabyte of nested brackets overflows it, which
// kills the process with no chance to recover; 128 KiB nests at most a
// few hundred megabytes deep and is far more than a script needs.
const MaxCodeSize = 128 << 10

// ErrCodeTooLarge is returned for code over MaxCodeSize.
var ErrCodeTooLarge = fmt.Errorf("the code is larger than %d bytes", MaxCodeSize)

// SyntaxError is a compile-time error in the agent's code. Line and Column
// are 1-based and count from the start of the code the agent wrote.
type SyntaxError struct {
	Line    int
	Column  int
	Message string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message)
}

// Transform strips TypeScript types from an agent script body and returns
// the JavaScript the worker evaluates: an expression whose value is an
// async function running the body. A problem in the code is a
// *SyntaxError, code over MaxCodeSize is ErrCodeTooLarge. It never runs
// the code, so the parent may call it to reject a broken script without
// starting a worker.
func Transform(ts string) (js string, err error) {
	p, err := compile(ts)
	if err != nil {
		return "", err
	}
	return p.js, nil
}

// program is the compiled form of one script.
type program struct {
	js        string
	positions *sourceMap // nil when esbuild gave no usable map
}

func compile(ts string) (*program, error) {
	if len(ts) > MaxCodeSize {
		return nil, ErrCodeTooLarge
	}
	if !utf8.ValidString(ts) {
		return nil, invalidUTF8(ts)
	}
	res := api.Transform(wrapPrefix+ts+wrapSuffix, api.TransformOptions{
		Loader:     api.LoaderTS,
		Target:     api.ES2023,
		Sourcemap:  api.SourceMapExternal,
		Sourcefile: "code.ts",
		LogLevel:   api.LogLevelSilent,
		LogLimit:   1,
	})
	if len(res.Errors) > 0 {
		return nil, syntaxError(res.Errors[0], ts)
	}
	p := &program{js: string(res.Code)}
	if sm, err := parseSourceMap(res.Map); err == nil {
		p.positions = sm
	}
	return p, nil
}

// syntaxError converts esbuild's position in the wrapped source to one in
// the agent's code. An error on the wrapper's closing line means the code
// left something open, which the wrapper's "})" then fails to close.
func syntaxError(m api.Message, code string) *SyntaxError {
	e := &SyntaxError{Line: 1, Column: 1, Message: oneLine(m.Text, 300)}
	if m.Location == nil {
		return e
	}
	lines := strings.Split(code, "\n")
	line := m.Location.Line - wrapLines
	switch {
	case line < 1:
		return e
	case line > len(lines):
		e.Line = len(lines)
		e.Column = utf8.RuneCountInString(lines[len(lines)-1]) + 1
		e.Message = "the code ends inside an unclosed brace, bracket, parenthesis or string (" + e.Message + ")"
		return e
	}
	e.Line = line
	// esbuild counts bytes; people count characters.
	text := m.Location.LineText
	col := min(max(m.Location.Column, 0), len(text))
	e.Column = utf8.RuneCountInString(text[:col]) + 1
	return e
}

func invalidUTF8(s string) *SyntaxError {
	line, col := 1, 1
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				break
			}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Column: col, Message: "code is not valid UTF-8"}
}

// oneLine squeezes s onto one line of at most max bytes (plus an ellipsis
// when cut), cutting on a rune boundary, so that an error the agent provoked cannot forge extra lines in
// a log or a terminal.
func oneLine(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029:
			r = '?'
		case r == utf8.RuneError:
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
