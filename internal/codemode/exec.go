package codemode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/cage"
	"github.com/ironcurtain/ironcurtain-go/internal/codemode/jsworker"
	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// Exec runs code (a TypeScript function body that may await and return)
// in a fresh worker and returns what it did. What the script does, down
// to being killed, is in the Result; the error is for failures of the
// runner itself (a bad Config, a worker that cannot start) and for ctx
// ending, in which case the Result says what happened until then.
func Exec(ctx context.Context, cfg Config, code string) (Result, error) {
	cfg, err := cfg.prepare()
	if err != nil {
		return Result{}, err
	}
	if len(code) > jsworker.MaxCodeSize {
		return Result{Kind: KindLimit, Error: jsworker.ErrCodeTooLarge.Error()}, nil
	}
	start := &runnerproto.Message{Type: runnerproto.TypeStart, Start: &runnerproto.Start{
		Code: code, Tools: cfg.Tools, Limits: cfg.Limits,
	}}
	var startLine bytes.Buffer
	if err := runnerproto.NewEncoder(&startLine).Encode(start); err != nil {
		return Result{}, fmt.Errorf("codemode: the code and tool list do not fit in one message: %w", err)
	}
	s := &session{cfg: cfg, known: map[[2]string]bool{}}
	for _, t := range cfg.Tools {
		s.known[[2]string{t.Server, t.Name}] = true
	}
	return s.run(ctx, startLine.Bytes())
}

// session is one worker from start to exit. Only the goroutine in Exec
// touches it, except stop, which the wall clock and ctx call too.
type session struct {
	cfg   Config
	known map[[2]string]bool

	proc   Process
	toW    *os.File // the worker's stdin, our end
	fromW  *os.File // the worker's stdout, our end
	result Result

	mu        sync.Mutex // guards stopped, why, whyError and cancelled
	stopped   bool
	why       string // Kind the stop stands for: KindTimeout or KindKilled
	whyError  string
	cancelled bool // the stop was ctx ending
}

func (s *session) run(ctx context.Context, startLine []byte) (Result, error) {
	began := time.Now()
	stdin, toW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("codemode: %w", err)
	}
	fromW, stdout, err := os.Pipe()
	if err != nil {
		stdin.Close()
		toW.Close()
		return Result{}, fmt.Errorf("codemode: %w", err)
	}
	errR, stderr, err := os.Pipe()
	if err != nil {
		for _, f := range []*os.File{stdin, toW, fromW, stdout} {
			f.Close()
		}
		return Result{}, fmt.Errorf("codemode: %w", err)
	}
	s.toW, s.fromW = toW, fromW
	defer toW.Close()
	defer fromW.Close()

	wall := s.cfg.timeout() + grace(s.cfg.timeout())
	args := append([]string{s.cfg.WorkerPath}, s.cfg.WorkerArgs...)
	proc, err := s.cfg.Spawn(ctx, cage.Spec{
		Path: s.cfg.WorkerPath, Args: args,
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Timeout: wall,
	})
	// The worker holds its own copies now; ours would keep the pipes open
	// after it dies.
	stdin.Close()
	stdout.Close()
	stderr.Close()
	if err != nil {
		errR.Close()
		return Result{}, fmt.Errorf("codemode: start worker: %w", err)
	}
	s.proc = proc
	diag := captureStderr(errR)

	callCtx, cancel := context.WithDeadline(ctx, began.Add(wall))
	defer cancel()
	clock := time.AfterFunc(wall, func() {
		s.stop(KindTimeout, fmt.Sprintf("timed out after %v: the worker was killed", s.cfg.timeout()), false)
	})
	defer clock.Stop()
	unwatch := context.AfterFunc(ctx, func() {
		s.stop(KindKilled, "cancelled: "+context.Cause(ctx).Error(), true)
	})
	defer unwatch()

	done := s.talk(callCtx, startLine)
	s.toW.Close() // an honest worker has exited or is exiting
	exit, waitErr := proc.Wait()
	clock.Stop()
	s.result.Duration = time.Since(began)
	return s.finish(ctx, done, exit, waitErr, diag())
}

// talk sends Start and serves the worker until it closes its stdout or is
// stopped. It returns the worker's Done, nil if none arrived or the worker
// was stopped.
func (s *session) talk(ctx context.Context, startLine []byte) *runnerproto.Done {
	if _, err := s.toW.Write(startLine); err != nil {
		if !s.isStopped() {
			s.hostile("it did not read its start message: " + err.Error())
		}
		return nil
	}
	enc := runnerproto.NewEncoder(s.toW)
	dec := runnerproto.NewDecoder(s.fromW)
	var done *runnerproto.Done
	var lastID uint64
	for {
		m, err := dec.Decode()
		switch {
		case s.isStopped():
			return nil
		case errors.Is(err, io.EOF):
			return done
		case err != nil:
			s.hostile("it sent a malformed message: " + err.Error())
			return nil
		case done != nil:
			s.hostile("it sent a " + m.Type + " message after done")
			return nil
		}
		switch m.Type {
		case runnerproto.TypeToolCall:
			if reason := s.checkCall(m.Call, lastID); reason != "" {
				s.hostile(reason)
				return nil
			}
			lastID = m.Call.ID
			res := s.call(ctx, m.Call)
			if err := enc.Encode(&runnerproto.Message{Type: runnerproto.TypeToolResult, Result: &res}); err != nil {
				if !s.isStopped() {
					s.hostile("it stopped reading tool results: " + err.Error())
				}
				return nil
			}
		case runnerproto.TypeDone:
			if reason := s.checkDone(m.Done); reason != "" {
				s.hostile(reason)
				return nil
			}
			done = m.Done
		default:
			s.hostile("it sent a " + m.Type + " message")
			return nil
		}
	}
}

// stop kills the worker and closes our ends of its pipes, which unblocks
// any read or write in talk. The first reason wins.
func (s *session) stop(kind, msg string, cancelled bool) {
	s.mu.Lock()
	first := !s.stopped
	if first {
		s.stopped, s.why, s.whyError, s.cancelled = true, kind, msg, cancelled
	}
	s.mu.Unlock()
	if first {
		s.proc.Kill()
		s.toW.Close()
		s.fromW.Close()
	}
}

func (s *session) hostile(reason string) {
	s.stop(KindKilled, "the worker was killed: "+reason, false)
}

func (s *session) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// finish turns what happened into the Result.
func (s *session) finish(ctx context.Context, done *runnerproto.Done, exit cage.Exit, waitErr error, stderr string) (Result, error) {
	s.mu.Lock()
	stopped, why, whyError, cancelled := s.stopped, s.why, s.whyError, s.cancelled
	s.mu.Unlock()
	r := &s.result
	switch {
	case done != nil:
		// talk returns a Done only when the worker closed its output
		// without being stopped; a slow exit after that changes nothing.
		r.Value, r.Console, r.Kind, r.Error = done.Value, done.Console, done.Kind, oneLine(done.Error)
		if r.Kind != "" {
			r.Value = nil
		}
		cancelled = false
	case stopped:
		r.Kind, r.Error = why, whyError
	case exit.TimedOut:
		r.Kind, r.Error = KindTimeout, fmt.Sprintf("timed out after %v: the worker was killed", s.cfg.timeout())
	default:
		r.Kind, r.Error = KindKilled, "the worker ended without a result ("+exit.String()+")"
		if stderr != "" {
			r.Error += ": " + stderr
		}
	}
	if done == nil {
		s.cfg.Log.Warn("code worker failed", "kind", r.Kind, "error", r.Error, "exit", exit.String(),
			"wait_error", errString(waitErr), "stderr", stderr)
	}
	if cancelled {
		return *r, fmt.Errorf("codemode: %w", context.Cause(ctx))
	}
	return *r, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// captureStderr keeps the first line of what the worker writes to stderr
// (a Go runtime crash names its cause there) and discards the rest. The
// returned function waits, briefly, for the worker's end to close.
func captureStderr(r *os.File) func() string {
	var mu sync.Mutex
	var buf []byte
	eof := make(chan struct{})
	go func() {
		defer close(eof)
		defer r.Close()
		chunk := make([]byte, 4096)
		for {
			n, err := r.Read(chunk)
			mu.Lock()
			if len(buf) < 4096 {
				buf = append(buf, chunk[:min(n, 4096-len(buf))]...)
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return func() string {
		select {
		case <-eof:
		case <-time.After(100 * time.Millisecond):
			// Something the worker started still holds the pipe.
			r.Close()
		}
		mu.Lock()
		defer mu.Unlock()
		line, _, _ := bytes.Cut(bytes.TrimSpace(buf), []byte("\n"))
		return oneLine(string(line))
	}
}
