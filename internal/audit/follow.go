package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

const followChunk = 1 << 20

// Follow calls fn with every complete line (without its newline) written to
// f after offset: once at the start, then whenever tick fires, until ctx
// ends, when it returns nil. A line still being written is held back until
// its newline arrives. The file shrinking is an error: an append-only log
// that gets shorter was truncated or replaced. fn's error stops Follow and
// is returned.
func Follow(ctx context.Context, f *os.File, offset int64, tick <-chan time.Time, fn func(line []byte) error) error {
	var partial []byte
	for {
		fi, err := f.Stat()
		if err != nil {
			return fmt.Errorf("follow: %w", err)
		}
		size := fi.Size()
		if size < offset {
			return fmt.Errorf("follow: the log shrank from %d to %d bytes: it was truncated or replaced", offset, size)
		}
		for offset < size {
			n := min(size-offset, followChunk)
			buf := make([]byte, n)
			if m, err := f.ReadAt(buf, offset); int64(m) < n {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("follow: read at %d: %w", offset, err)
			}
			offset += n
			partial = append(partial, buf...)
			for {
				i := bytes.IndexByte(partial, '\n')
				if i < 0 {
					break
				}
				if err := fn(partial[:i]); err != nil {
					return err
				}
				partial = partial[i+1:]
			}
			if len(partial) > MaxLineSize {
				return fmt.Errorf("follow: a line before byte %d is longer than %d bytes", offset, MaxLineSize)
			}
			// Keep the unfinished line, not the whole chunk it came in.
			partial = append([]byte(nil), partial...)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
	}
}
