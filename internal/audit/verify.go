package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// BreakError is the first place a chain is broken. Line is 1-based.
type BreakError struct {
	Line   int
	Reason string
}

func (e *BreakError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Verify reads a whole log and checks that every line is a complete JSON
// object whose prev is the Hash of the line before it (ChainStart for the
// first). It returns the number of lines verified; the error is a
// *BreakError for the first broken line, or a read error.
//
// A chain alone cannot tell that whole lines were cut from the end, or that
// the last line was changed; VerifyHead can, given the head kept elsewhere.
func Verify(r io.Reader) (n int, err error) {
	n, _, err = verify(r)
	return n, err
}

// VerifyHead is Verify, and also checks that the chain ends at head, a
// value of Log.Head kept where the log's writer could not change it.
func VerifyHead(r io.Reader, head string) (n int, err error) {
	if !isDigest(head) {
		return 0, fmt.Errorf("expected head %q is not a hex SHA-256 digest", head)
	}
	n, got, err := verify(r)
	if err != nil {
		return n, err
	}
	if got != head {
		if n == 0 {
			return 0, &BreakError{Line: 1, Reason: fmt.Sprintf("the log is empty, but the expected head is %s", head)}
		}
		return n, &BreakError{Line: n, Reason: fmt.Sprintf("the chain ends at %s, not at the expected head %s: this line was changed or lines after it were removed", got, head)}
	}
	return n, nil
}

func verify(r io.Reader) (n int, head string, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head = ChainStart
	for {
		line, state, err := readLine(br)
		if err != nil {
			return n, head, fmt.Errorf("read line %d: %w", n+1, err)
		}
		switch state {
		case lineEOF:
			return n, head, nil
		case lineTorn:
			return n, head, &BreakError{Line: n + 1, Reason: "truncated last line (no newline at the end)"}
		case lineTooLong:
			return n, head, &BreakError{Line: n + 1, Reason: fmt.Sprintf("line longer than %d bytes", MaxLineSize)}
		}
		if reason := checkLine(line, head, n); reason != "" {
			return n, head, &BreakError{Line: n + 1, Reason: reason}
		}
		head = Hash(line)
		n++
	}
}

// checkLine says what is wrong with the line after line number prevLine,
// whose hash is prev, or "" when nothing is.
func checkLine(line []byte, prev string, prevLine int) string {
	if len(line) == 0 {
		return "empty line"
	}
	if !utf8.Valid(line) {
		return "not valid UTF-8"
	}
	if !json.Valid(line) {
		return "not valid JSON"
	}
	if line[0] != '{' {
		return "not a JSON object"
	}
	var h struct {
		Prev *string `json:"prev"`
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return "prev is not a string"
	}
	switch {
	case h.Prev == nil:
		return "no prev field"
	case !isDigest(*h.Prev):
		return "prev is not a hex SHA-256 digest"
	case *h.Prev == prev:
		return ""
	case prevLine == 0:
		return "prev is not the chain start: lines before it were removed"
	}
	return fmt.Sprintf("prev does not match the hash of line %d: line %d was changed, or lines were removed, inserted or reordered here", prevLine, prevLine)
}

func isDigest(s string) bool {
	if len(s) != len(ChainStart) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

type lineState uint8

const (
	lineOK lineState = iota
	lineEOF
	lineTorn
	lineTooLong
)

// readLine reads one line without its newline, buffering at most
// MaxLineSize bytes of it.
func readLine(br *bufio.Reader) ([]byte, lineState, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(line)+len(frag) > MaxLineSize+1 {
			return nil, lineTooLong, nil
		}
		line = append(line, frag...)
		switch {
		case err == nil:
			return line[:len(line)-1], lineOK, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(line) == 0 {
				return nil, lineEOF, nil
			}
			return line, lineTorn, nil
		default:
			return nil, lineOK, err
		}
	}
}
