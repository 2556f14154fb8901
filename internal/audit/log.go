package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit log is closed")

// maxField bounds each free-text field of a record, so that one huge server
// error cannot push a line over MaxLineSize.
const maxField = 64 << 10

// file is what a Log writes to: an *os.File in production, a writer that
// fails on cue in tests.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

// Log appends records to one file. It is safe for concurrent use; records
// are written one at a time in the order their Appends got their turn.
type Log struct {
	path string
	now  func() time.Time
	// turn is a one-slot semaphore rather than a mutex so that an Append
	// still waiting for its turn can give up when its context ends. Holding
	// it guards every field below.
	turn   chan struct{}
	f      file
	prev   string // Hash of the last line written, or ChainStart
	err    error  // the first write or sync failure; sticky
	closed bool
}

// Open opens the log at path for appending, creating its directory (0700)
// and the file (0600) when missing. An existing file's chain continues from
// its last line; that line must be a complete JSON object, or Open refuses
// the file so the damage is looked at (`ironcurtain audit verify`) before
// anything is added after it. Open does not verify the whole chain.
//
// The file is locked for the Log's lifetime: a second Open of the same
// file, from this process or another, fails rather than interleave two
// chains.
func Open(path string) (*Log, error) {
	if path == "" {
		return nil, errors.New("audit log: empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	l, err := start(path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	return l, nil
}

func start(path string, f *os.File) (*Log, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if err := lockFile(f); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	prev, err := chainHead(f, fi.Size())
	if err != nil {
		return nil, err
	}
	if fi.Size() == 0 {
		// A new file's directory entry must be as durable as its first
		// record, or a crash could lose the whole log.
		if err := syncDir(filepath.Dir(path)); err != nil {
			return nil, err
		}
	}
	return newLog(path, f, prev), nil
}

func newLog(path string, f file, prev string) *Log {
	return &Log{path: path, now: time.Now, turn: make(chan struct{}, 1), f: f, prev: prev}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// chainHead is the hash the next line must carry: that of the file's last
// line, which must be complete.
func chainHead(r io.ReaderAt, size int64) (string, error) {
	if size == 0 {
		return ChainStart, nil
	}
	last := make([]byte, 1)
	if _, err := r.ReadAt(last, size-1); err != nil {
		return "", fmt.Errorf("read last line: %w", err)
	}
	if last[0] != '\n' {
		return "", errors.New("last line is incomplete (no newline at the end); run ironcurtain audit verify")
	}
	lines, _, err := LastLines(r, size, 1)
	if err != nil {
		return "", fmt.Errorf("read last line: %w", err)
	}
	line := lines[0]
	if len(line) == 0 || line[0] != '{' || !utf8.Valid(line) || !json.Valid(line) {
		return "", errors.New("last line is not a complete JSON record; run ironcurtain audit verify")
	}
	return Hash(line), nil
}

// Hash is the chain function: the hex SHA-256 of a line's bytes without
// its newline. Append and Verify both use it and nothing else.
func Hash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// Append redacts r, sets its Prev, and writes and syncs it as one line. It
// returns nil only when the record is on disk; the caller must fail the
// call otherwise.
//
// ctx bounds only the wait for other Appends: once a record's turn has come
// it is written even if ctx has ended, because a call that timed out must
// still be recorded. After a write or sync failure every later Append fails
// too, since the file may now end in a torn line that would hide whatever
// follows it.
func (l *Log) Append(ctx context.Context, r Record) error {
	// Redaction and encoding, the costly part for large arguments, happen
	// before taking the turn; only the chain link is added under it.
	body, err := l.encode(r)
	if err != nil {
		// Nothing was written, so the chain is intact and later records
		// may still be appended.
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	if err := l.acquire(ctx); err != nil {
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	defer l.release()
	if l.closed {
		return fmt.Errorf("audit log %s: %w", l.path, ErrClosed)
	}
	if l.err != nil {
		return fmt.Errorf("audit log %s failed earlier, refusing every record: %w", l.path, l.err)
	}
	line := make([]byte, 0, len(body)+len(ChainStart)+3)
	line = append(append(append(append(line, body...), '"'), l.prev...), "\"}\n"...)
	n, err := l.f.Write(line)
	if err == nil && n != len(line) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = l.f.Sync()
	}
	if err != nil {
		l.err = err
		return fmt.Errorf("audit log %s: %w", l.path, err)
	}
	l.prev = Hash(line[:len(line)-1])
	return nil
}

// prevTail is how an encoded record with an empty Prev ends: Prev is the
// last field, so the chain link can be filled in after encoding.
const prevTail = `"prev":""}` + "\n"

// encode returns the redacted record's line up to and including `"prev":`.
func (l *Log) encode(r Record) ([]byte, error) {
	r.Prev = ""
	if r.Timestamp.IsZero() {
		r.Timestamp = l.now()
	}
	r.Timestamp = r.Timestamp.UTC()
	r.RequestID = clip(r.RequestID)
	r.SessionID = clip(r.SessionID)
	r.Server = clip(RedactString(r.Server))
	r.Tool = clip(RedactString(r.Tool))
	r.Decision.Rule = clip(r.Decision.Rule)
	r.Decision.Reason = clip(RedactString(r.Decision.Reason))
	r.Result.Error = clip(RedactString(r.Result.Error))
	if r.Escalation != nil {
		e := *r.Escalation // the caller's record is not ours to change
		e.By = clip(RedactString(e.By))
		r.Escalation = &e
	}
	if math.IsNaN(r.DurationMs) || math.IsInf(r.DurationMs, 0) {
		r.DurationMs = -1 // unencodable, and the record must still be written
	}
	r.Arguments = Redact(r.Arguments)
	if r.Arguments == nil {
		r.Arguments = map[string]any{}
	}
	line, err := marshalRecord(r)
	if err != nil {
		return nil, err
	}
	if len(line)-1+len(ChainStart) > MaxLineSize {
		r.Arguments = map[string]any{"[omitted]": fmt.Sprintf("arguments too large for the audit log: the record was %d bytes", len(line)-1)}
		if line, err = marshalRecord(r); err != nil {
			return nil, err
		}
	}
	if !bytes.HasSuffix(line, []byte(prevTail)) {
		return nil, errors.New("encode record: prev is not the last field")
	}
	return line[:len(line)-len(`""}`+"\n")], nil
}

func marshalRecord(r Record) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return b.Bytes(), nil
}

// clip bounds a text field, cutting on a rune boundary.
func clip(s string) string {
	if len(s) <= maxField {
		return s
	}
	cut := maxField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[truncated]"
}

// Head is the hash the next record will carry as Prev. Kept somewhere the
// agent cannot reach (a session summary, another log), it lets Verify's
// caller notice whole lines cut from the end, which a chain alone cannot.
func (l *Log) Head() string {
	l.turn <- struct{}{}
	defer l.release()
	return l.prev
}

// Close closes the file and releases its lock. Appends after Close fail
// with ErrClosed; Close itself may be called more than once.
func (l *Log) Close() error {
	l.turn <- struct{}{}
	defer l.release()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("audit log %s: close: %w", l.path, err)
	}
	return nil
}

func (l *Log) acquire(ctx context.Context) error {
	// A free turn is taken even when ctx has already ended: see Append.
	select {
	case l.turn <- struct{}{}:
		return nil
	default:
	}
	select {
	case l.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the log: %w", ctx.Err())
	}
}

func (l *Log) release() { <-l.turn }
