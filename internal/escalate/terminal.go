package escalate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	// maxShownArgs bounds the arguments shown inline; the resource values
	// that decide the approval are listed separately and in full.
	maxShownArgs = 2000
	// maxLine bounds one answer line; longer lines are not answers.
	maxLine = 1 << 10
)

// TerminalPrompter asks on a terminal: it shows the request (every
// agent-chosen string escaped) and reads answer lines until one is "a"
// (approve), "+" (approve+) or "d" (deny); other lines ask again. It must
// not be copied after first use. The zero value with In and Out set is
// ready; In is first read when the first prompt is shown.
//
// In is read by one goroutine that lives until In ends, so a prompt
// cancelled mid-read (answered from another terminal) leaves no stray read
// behind that would swallow the next answer. Lines already read while no
// prompt was showing are discarded when the next prompt starts, so a
// keystroke meant for one request does not approve the next (best effort:
// a line still in flight at that instant can get through). Prompts for
// concurrent requests take turns; requests waiting for their turn can still
// be answered by file.
type TerminalPrompter struct {
	In  io.Reader
	Out io.Writer

	once  sync.Once
	turn  chan struct{} // a token: whoever holds it owns the terminal
	lines chan string   // closed when In ends; readErr says why

	// reading says the reader goroutine runs; only the turn holder
	// touches it.
	reading bool
	// Written before lines is closed, read after.
	readErr error
}

var errTerminalClosed = errors.New("terminal input closed")

// readLines feeds t.lines until In ends.
func (t *TerminalPrompter) readLines() {
	r := bufio.NewReaderSize(t.In, maxLine)
	for {
		line, err := readLine(r)
		if err != nil {
			t.readErr = err
			close(t.lines)
			return
		}
		t.lines <- line
	}
}

// readLine reads one line; an overlong line is consumed and reported as
// empty, which is no answer.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	long := false
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", errTerminalClosed
			}
			return "", fmt.Errorf("read terminal: %w", err)
		}
		if len(b)+len(chunk) > maxLine {
			long = true
		} else {
			b = append(b, chunk...)
		}
		if !isPrefix {
			break
		}
	}
	if long {
		return "", nil
	}
	return string(b), nil
}

// Prompt shows req and waits for a valid answer line or ctx.
func (t *TerminalPrompter) Prompt(ctx context.Context, req Request) (Answer, error) {
	if t.In == nil || t.Out == nil {
		return Answer{}, errors.New("terminal prompter: no input or output")
	}
	t.once.Do(func() {
		t.turn = make(chan struct{}, 1)
		t.turn <- struct{}{}
		t.lines = make(chan string)
	})
	select {
	case <-t.turn:
	case <-ctx.Done():
		return Answer{}, ctx.Err()
	}
	defer func() { t.turn <- struct{}{} }()
	entry, entryErr := DescribeEntry(req)
	writeRequest(t.Out, req, entry, entryErr)
	if t.reading {
		t.drain()
	} else {
		// Reading starts only now, so nothing typed before the first
		// prompt was shown can answer it.
		t.reading = true
		go t.readLines()
	}
	for {
		fmt.Fprint(t.Out, "[a]pprove / approve[+] / [d]eny: ")
		var line string
		var ok bool
		select {
		case line, ok = <-t.lines:
		case <-ctx.Done():
			fmt.Fprintln(t.Out, "\n(answered elsewhere or timed out)")
			return Answer{}, ctx.Err()
		}
		if !ok {
			fmt.Fprintln(t.Out)
			return Answer{}, t.readErr
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "a", "approve", "y", "yes":
			return Answer{Outcome: Approved, By: "terminal"}, nil
		case "+", "a+", "approve+":
			if entryErr != nil {
				fmt.Fprintf(t.Out, "approve+ is not possible here: %s\n", TerminalSafe(entryErr.Error()))
				continue
			}
			return Answer{Outcome: Approved, By: "terminal", AddToWhitelist: true}, nil
		case "d", "deny", "n", "no":
			return Answer{Outcome: Denied, By: "terminal"}, nil
		}
		fmt.Fprintln(t.Out, "please answer a, + or d")
	}
}

// drain discards lines typed while no prompt was shown, so a keystroke
// meant for an earlier request cannot answer this one.
func (t *TerminalPrompter) drain() {
	for {
		select {
		case _, ok := <-t.lines:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// writeRequest renders a request for a human. Every agent-chosen string
// goes through TerminalSafe.
func writeRequest(w io.Writer, req Request, entry string, entryErr error) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nIronCurtain: approval needed (request %s)\n", req.ID)
	fmt.Fprintf(&b, "  call:   %s/%s\n", TerminalSafe(req.Server), TerminalSafe(req.Tool))
	fmt.Fprintf(&b, "  args:   %s\n", ArgsSummary(req.Arguments, maxShownArgs))
	for _, v := range req.Values {
		fmt.Fprintf(&b, "  %s %s: %s\n", v.Role, TerminalSafe(v.Arg), TerminalSafe(v.Value))
	}
	fmt.Fprintf(&b, "  rule:   %s\n", TerminalSafe(req.Rule))
	fmt.Fprintf(&b, "  reason: %s\n", TerminalSafe(req.Reason))
	if entryErr == nil {
		fmt.Fprintf(&b, "  approve+ also allows, for this session: %s\n", TerminalSafe(entry))
	} else {
		fmt.Fprintf(&b, "  approve+ is not available: %s\n", TerminalSafe(entryErr.Error()))
	}
	io.WriteString(w, b.String())
}

// ArgsSummary renders canonical arguments as one line of JSON, safe for a
// terminal, cut to about max bytes.
func ArgsSummary(args map[string]any, max int) string {
	if args == nil {
		args = map[string]any{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return "(arguments cannot be shown: " + TerminalSafe(err.Error()) + ")"
	}
	s := TerminalSafe(strings.TrimSuffix(buf.String(), "\n"))
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = fmt.Sprintf("%s… (%d more bytes)", s[:cut], len(s)-cut)
	}
	return s
}

// TerminalSafe makes agent-chosen text inert on a terminal: C0 and C1
// control characters (ESC, CSI, BEL, CR...), DEL, and Unicode format
// characters (bidirectional overrides, zero-width characters) become \uXXXX,
// invalid UTF-8 becomes U+FFFD. What remains is printable and shows what it
// is; inside JSON strings the escapes are also valid JSON.
func TerminalSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteRune(utf8.RuneError)
		case r < 0x20, r >= 0x7f && r < 0xa0, unicode.Is(unicode.Cf, r), r == '\u2028', r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
