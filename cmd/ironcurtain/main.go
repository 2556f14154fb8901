// Command ironcurtain is the single binary of IronCurtain-Go. It stays
// thin: each command parses flags, calls one package and maps errors to
// exit codes (0 ok, 1 ran and failed or denied, 2 bad usage or input).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// exitError carries an exit code; its message (if any) is printed once.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr marks bad usage or bad input: exit 2.
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func badInput(err error) error { return &exitError{code: 2, err: err} }

// failed is exit 1 with nothing more to print.
var errFailed = &exitError{code: 1}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCmd(env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv})
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	code := 2 // cobra's own errors are usage errors
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintln(stderr, "ironcurtain: "+oneLine(err.Error()))
	return code
}

// oneLine keeps an error to a single line whatever a file or argument put
// into it, and free of terminal controls.
func oneLine(s string) string { return policy.SafeText(s) }
