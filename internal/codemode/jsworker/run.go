package jsworker

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
	"modernc.org/quickjs"
)

// Done kinds. The parent adds "killed" for a worker it had to stop.
const (
	KindException = "exception"
	KindOOM       = "oom"
	KindTimeout   = "timeout"
	KindLimit     = "limit"
	KindSyntax    = "syntax"
)

// DefaultLimits are the limits of an execution whose Start leaves a field
// zero: 128 MiB of VM memory, 60 s, a 1 MB result, 1000 tool calls and
// 1 MB of console output.
func DefaultLimits() runnerproto.Limits {
	return runnerproto.Limits{
		MemoryBytes:   128 << 20,
		TimeoutMillis: 60_000,
		MaxResult:     1 << 20,
		MaxToolCalls:  1000,
		MaxConsole:    1 << 20,
	}
}

func withDefaults(l runnerproto.Limits) runnerproto.Limits {
	d := DefaultLimits()
	if l.MemoryBytes <= 0 {
		l.MemoryBytes = d.MemoryBytes
	}
	if l.TimeoutMillis <= 0 {
		l.TimeoutMillis = d.TimeoutMillis
	}
	if l.MaxResult <= 0 {
		l.MaxResult = d.MaxResult
	}
	if l.MaxToolCalls <= 0 {
		l.MaxToolCalls = d.MaxToolCalls
	}
	if l.MaxConsole <= 0 {
		l.MaxConsole = d.MaxConsole
	}
	return l
}

// maxError bounds Done.Error: one line a person can read.
const maxError = 1000

// Run reads one Start from r, executes its code, exchanges ToolCalls and
// ToolResults with the parent while the script runs, writes one Done and
// returns. Whatever the script does ends in a Done; Run returns an error
// only when the pipe itself fails or the parent speaks out of turn.
func Run(r io.Reader, w io.Writer) error {
	dec := runnerproto.NewDecoder(r)
	enc := runnerproto.NewEncoder(w)
	msg, err := dec.Decode()
	if err != nil {
		return fmt.Errorf("jsworker: read start: %w", err)
	}
	if msg.Type != runnerproto.TypeStart {
		return fmt.Errorf("jsworker: first message is %q, want %q", msg.Type, runnerproto.TypeStart)
	}
	done := execute(msg.Start, dec, enc)
	err = enc.Encode(&runnerproto.Message{Type: runnerproto.TypeDone, Done: &done})
	if err == nil {
		return nil
	}
	// Only limits the parent set too large for one message get here.
	fallback := runnerproto.Done{Kind: KindLimit, Error: "the result and console output do not fit in one message"}
	if err2 := enc.Encode(&runnerproto.Message{Type: runnerproto.TypeDone, Done: &fallback}); err2 != nil {
		return fmt.Errorf("jsworker: write done: %w", errors.Join(err, err2))
	}
	return nil
}

// execution is the state of one script run; only the goroutine that
// called Run touches it, as quickjs requires.
type execution struct {
	limits   runnerproto.Limits
	deadline time.Time
	vm       *quickjs.VM
	tools    *toolChannel
	console  consoleBuffer

	userLines int
	positions *sourceMap

	finished bool
	done     runnerproto.Done
	stopKind string // why the host interrupted the script, "" if it did not
	stopMsg  string
}

func execute(start *runnerproto.Start, dec *runnerproto.Decoder, enc *runnerproto.Encoder) runnerproto.Done {
	limits := withDefaults(start.Limits)
	e := &execution{
		limits:   limits,
		deadline: time.Now().Add(time.Duration(limits.TimeoutMillis) * time.Millisecond),
		console:  consoleBuffer{max: limits.MaxConsole},
	}
	done := e.run(start, dec, enc)
	done.Console = e.console.lines
	done.Error = oneLine(done.Error, maxError)
	return done
}

func (e *execution) run(start *runnerproto.Start, dec *runnerproto.Decoder, enc *runnerproto.Encoder) runnerproto.Done {
	prog, err := compile(start.Code)
	switch {
	case errors.Is(err, ErrCodeTooLarge):
		return runnerproto.Done{Kind: KindLimit, Error: err.Error()}
	case err != nil:
		return runnerproto.Done{Kind: KindSyntax, Error: err.Error()}
	}
	e.userLines = strings.Count(start.Code, "\n") + 1
	e.positions = prog.positions
	ns, err := layout(start.Tools)
	if err != nil {
		return runnerproto.Done{Kind: KindException, Error: "tool list: " + err.Error()}
	}
	src, err := prelude(ns, e.limits.MaxResult)
	if err != nil {
		return runnerproto.Done{Kind: KindException, Error: "tool list: " + err.Error()}
	}
	vm, err := quickjs.NewVM()
	if err != nil {
		return runnerproto.Done{Kind: KindException, Error: "start the JavaScript engine: " + err.Error()}
	}
	defer vm.Close()
	e.vm = vm
	vm.SetMemoryLimit(uintptr(e.limits.MemoryBytes))
	vm.SetCanBlock(false)
	e.tools = newToolChannel(start.Tools, dec, enc, e.limits.MaxToolCalls)
	if err := e.register(start.Tools); err != nil {
		return runnerproto.Done{Kind: KindException, Error: "set up the JavaScript engine: " + err.Error()}
	}

	if !e.arm() {
		return e.timedOut()
	}
	runner, err := vm.EvalValue(src, quickjs.EvalGlobal)
	if err != nil {
		return e.failed("set up the tools", err, quickjs.Value{})
	}
	defer runner.Free()
	if !e.arm() {
		return e.timedOut()
	}
	main, err := vm.EvalValue(prog.js, quickjs.EvalGlobal)
	if err != nil {
		return e.failed("", err, runner)
	}
	defer main.Free()
	if !e.arm() {
		return e.timedOut()
	}
	_, err = runner.Call(quickjs.UndefinedValue, main)
	retried := false
	for {
		switch {
		case e.stopKind != "":
			return runnerproto.Done{Kind: e.stopKind, Error: e.stopMsg}
		case e.finished:
			return e.done
		case err != nil:
			return e.failed("", err, runner)
		case !e.arm():
			return e.timedOut()
		}
		var n int
		n, err = vm.ExecutePendingJobs()
		if n > 0 || err != nil || e.finished || e.stopKind != "" {
			continue
		}
		// quickjs silently drops a promise job it has no memory to queue,
		// so a script that ran out of memory can look like one waiting
		// forever. Once the memory is back, listening again recovers the
		// script's own result; a job lost inside the script is gone.
		if retried || !e.arm() {
			return e.stuck()
		}
		retried = true
		if e.outOfMemoryNow(runner) {
			return e.outOfMemory()
		}
		_, err = runner.Call(quickjs.UndefinedValue, quickjs.Undefined{})
	}
}

func (e *execution) stuck() runnerproto.Done {
	return runnerproto.Done{Kind: KindException,
		Error: "the script is waiting for a promise that nothing will settle (only tool calls and other promises settle; " +
			"a script near its memory limit can also lose a pending await)"}
}

// outOfMemoryNow asks the prelude to allocate a little; failing to is the
// only way to see that the VM's memory is exhausted.
func (e *execution) outOfMemoryNow(runner quickjs.Value) bool {
	if !e.arm() {
		return false
	}
	ok, err := runner.Call(quickjs.UndefinedValue, nil)
	return err != nil || ok != true
}

// register installs the Go side of the prelude's host functions.
func (e *execution) register(tools []runnerproto.ToolSpec) error {
	for name, f := range map[string]any{
		"__ic_call":    e.callTool,
		"__ic_console": e.console.add,
		"__ic_help":    func(topic string) string { return strings.TrimSuffix(Help(tools, topic), "\n") },
		"__ic_finish":  e.finish,
	} {
		if err := e.vm.RegisterFunc(name, f, false); err != nil {
			return err
		}
	}
	return nil
}

// arm points the VM's timeout at what is left of the wall clock; quickjs
// re-arms it on every entry from Go, so each entry gets the remainder.
func (e *execution) arm() bool {
	left := time.Until(e.deadline)
	if left <= 0 {
		return false
	}
	e.vm.SetEvalTimeout(left)
	return true
}

// stop ends the script from inside a host function: the interrupt makes
// quickjs throw an exception no catch block sees as soon as the host
// function returns.
func (e *execution) stop(kind, msg string) {
	if e.stopKind == "" {
		e.stopKind, e.stopMsg = kind, msg
	}
	e.vm.Interrupt()
}

// finish receives the script's outcome from the prelude. It stops the VM
// at once so that no promise job still queued can call a tool after the
// script has returned.
func (e *execution) finish(kind, value, name, message, stack string) {
	if e.finished {
		return
	}
	e.finished = true
	switch kind {
	case "ok":
		if len(value) > e.limits.MaxResult {
			e.done = runnerproto.Done{Kind: KindLimit,
				Error: fmt.Sprintf("the return value is %d bytes as JSON, more than %d", len(value), e.limits.MaxResult)}
			break
		}
		if value != "" {
			e.done.Value = []byte(value)
		}
	case "limit":
		e.done = runnerproto.Done{Kind: KindLimit, Error: message}
	default:
		e.done = e.exception(name, message, stack)
		if name == "InternalError" && message == "interrupted" && !time.Now().Before(e.deadline) {
			e.done = e.timedOut()
		}
	}
	e.vm.Interrupt()
}

// exception describes an uncaught exception: its kind, "Name: message" and
// where in the agent's code it was thrown.
func (e *execution) exception(name, message, stack string) runnerproto.Done {
	if name == "InternalError" && message == "out of memory" {
		return e.outOfMemory()
	}
	text := message
	if name != "" {
		text = name + ": " + message
	}
	if line, col, ok := e.positions.userPosition(stack, e.userLines); ok {
		text += fmt.Sprintf(" (at line %d:%d)", line, col)
	}
	return runnerproto.Done{Kind: KindException, Error: text}
}

func (e *execution) outOfMemory() runnerproto.Done {
	return runnerproto.Done{Kind: KindOOM,
		Error: fmt.Sprintf("out of memory: the script used more than %d MiB", e.limits.MemoryBytes>>20)}
}

func (e *execution) timedOut() runnerproto.Done {
	return runnerproto.Done{Kind: KindTimeout,
		Error: fmt.Sprintf("timed out after %v", time.Duration(e.limits.TimeoutMillis)*time.Millisecond)}
}

// failed classifies an error quickjs returned to Go: an interrupt the host
// asked for, the deadline, memory, or an exception no handler caught. The
// prelude catches everything the script throws, so an error without a name
// is the engine failing, which probing memory tells apart.
func (e *execution) failed(stage string, err error, runner quickjs.Value) runnerproto.Done {
	if e.stopKind != "" {
		return runnerproto.Done{Kind: e.stopKind, Error: e.stopMsg}
	}
	var qe *quickjs.Error
	if !errors.As(err, &qe) {
		return runnerproto.Done{Kind: KindException, Error: prefix(stage, err.Error())}
	}
	switch {
	case qe.Name == "InternalError" && qe.Message == "interrupted":
		return e.timedOut()
	case qe.Name == "InternalError" && qe.Message == "out of memory":
		return e.outOfMemory()
	case qe.Name == "SyntaxError" && stage == "":
		// esbuild accepted what quickjs cannot parse.
		return runnerproto.Done{Kind: KindSyntax, Error: "the JavaScript engine cannot run this: " + qe.Message}
	case qe.Name == "" && runner.VM() != nil && e.outOfMemoryNow(runner):
		return e.outOfMemory()
	}
	d := e.exception(qe.Name, qe.Message, qe.Stack)
	if qe.Name == "" && qe.Message == "" {
		d.Error = qe.Error()
	}
	d.Error = prefix(stage, d.Error)
	return d
}

func prefix(stage, msg string) string {
	if stage == "" {
		return msg
	}
	return stage + ": " + msg
}
