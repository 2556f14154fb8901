package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

const chunkSize = 64 << 10

// LastLines returns up to n of the last complete lines in the first size
// bytes of r (without their newlines), and end, the offset just past the
// last newline: a torn line being written at the end is left for a
// follower to pick up once it is complete. Reading goes backwards and stops
// as soon as n lines are found, so a long log costs only its tail; a line
// longer than MaxLineSize is an error rather than a reason to buffer more.
func LastLines(r io.ReaderAt, size int64, n int) (lines [][]byte, end int64, err error) {
	if n < 0 {
		return nil, 0, fmt.Errorf("last lines: negative count %d", n)
	}
	if size < 0 {
		return nil, 0, fmt.Errorf("last lines: negative size %d", size)
	}
	// chunks holds [pos, size) in reverse order; newlines counts its '\n'.
	var chunks [][]byte
	pos, newlines, total := size, 0, int64(0)
	limit := int64(n+1) * (MaxLineSize + 1)
	for pos > 0 && newlines < n+1 {
		if total > limit || (newlines == 0 && total > MaxLineSize+1) {
			return nil, 0, fmt.Errorf("a line within the last %d bytes is longer than %d bytes", total, MaxLineSize)
		}
		c := int64(chunkSize)
		if c > pos {
			c = pos
		}
		pos -= c
		buf := make([]byte, c)
		if m, err := r.ReadAt(buf, pos); m < len(buf) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the file shrank under us
			}
			return nil, 0, fmt.Errorf("read at %d: %w", pos, err)
		}
		newlines += bytes.Count(buf, []byte{'\n'})
		chunks = append(chunks, buf)
		total += c
	}
	data := make([]byte, 0, total)
	for i := len(chunks) - 1; i >= 0; i-- {
		data = append(data, chunks[i]...)
	}
	last := bytes.LastIndexByte(data, '\n')
	if len(data)-last-1 > MaxLineSize {
		return nil, 0, fmt.Errorf("the last line is longer than %d bytes and has no newline", MaxLineSize)
	}
	if last < 0 {
		return nil, pos, nil
	}
	end = pos + int64(last) + 1
	all := bytes.Split(data[:last], []byte{'\n'})
	if pos > 0 {
		all = all[1:] // starts before pos: not a whole line
	}
	if len(all) > n {
		all = all[len(all)-n:]
	}
	for _, l := range all {
		if len(l) > MaxLineSize {
			return nil, 0, fmt.Errorf("a line is longer than %d bytes", MaxLineSize)
		}
	}
	return all, end, nil
}
