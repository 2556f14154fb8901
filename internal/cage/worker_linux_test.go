//go:build linux

package cage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary is also the caged worker: Start re-executes it with
// workerArg first, which TestMain sends here instead of to the tests. The
// environment is empty in a cage, so the mode travels in the arguments.
const workerArg = "cage-test-worker"

func runWorker(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "worker: no mode")
		return 2
	}
	switch args[0] {
	case "inspect":
		return workerInspect(args[1:])
	case "lockdown":
		return workerLockdown(args[1:])
	case "verify":
		return workerVerify()
	case "spin":
		fmt.Println("spinning")
		var n atomic.Uint64
		for {
			n.Add(1)
		}
	case "block":
		// On both streams: the pdeathsig test's intermediate parent
		// waits on stderr, the test reads stdout.
		fmt.Println("blocking")
		fmt.Fprintln(os.Stderr, "blocking")
		_, _ = io.Copy(io.Discard, os.Stdin)
		return 0
	case "exit":
		n, _ := strconv.Atoi(args[1])
		return n
	case "pdeathsig-parent":
		return workerPdeathsigParent()
	}
	fmt.Fprintln(os.Stderr, "worker: unknown mode", args[0])
	return 2
}

// inspection is what a worker sees of its cage before any lockdown.
type inspection struct {
	Pid     int               `json:"pid"`
	Env     []string          `json:"env"`
	FDs     map[string]string `json:"fds"` // descriptor → link target
	NS      map[string]uint64 `json:"ns"`
	Ifaces  []string          `json:"ifaces"` // "name up|down"
	Connect string            `json:"connect"`
	Cwd     string            `json:"cwd"`
}

func workerInspect(args []string) int {
	var in inspection
	// Descriptors first, before this process opens anything of its own.
	in.FDs = listFDs()
	in.Pid = os.Getpid()
	in.Env = os.Environ()
	in.NS = map[string]uint64{}
	for _, k := range nsKinds {
		ino, err := nsInode("self", k.name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		in.NS[k.name] = ino
	}
	ifs, err := net.Interfaces()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, i := range ifs {
		state := "down"
		if i.Flags&net.FlagUp != 0 {
			state = "up"
		}
		in.Ifaces = append(in.Ifaces, i.Name+" "+state)
	}
	in.Cwd, _ = os.Getwd()
	d := net.Dialer{Timeout: 10 * time.Second}
	if c, err := d.Dial("tcp", args[0]); err != nil {
		in.Connect = errnoText(err)
	} else {
		c.Close()
		in.Connect = "connected"
	}
	if err := json.NewEncoder(os.Stdout).Encode(in); err != nil {
		return 1
	}
	// Stay alive until the parent has looked at us from outside.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// listFDs reads /proc/self/fd with raw syscalls, so that the listing
// itself adds only the one directory descriptor, which it leaves out.
func listFDs() map[string]string {
	out := map[string]string{}
	dfd, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	defer unix.Close(dfd)
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(dfd, buf)
		if err != nil || n <= 0 {
			break
		}
		var names []string
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			if name == strconv.Itoa(dfd) {
				continue
			}
			target, err := os.Readlink("/proc/self/fd/" + name)
			if err != nil {
				target = "?" + err.Error()
			}
			out[name] = target
		}
	}
	return out
}

// testLockdown is what the lockdown worker applies. The address-space
// limit sits above what the process has mapped already: under the race
// detector that is terabytes of shadow memory.
func testLockdown() (Lockdown, error) {
	vm, err := vmSize()
	if err != nil {
		return Lockdown{}, err
	}
	return Lockdown{
		Rlimits:          Rlimits{AddressSpace: vm + 4<<30, CPUSeconds: 60, OpenFiles: 64, Processes: 4096},
		DropCapabilities: true,
		NoNewPrivs:       true,
		Landlock:         true,
		Seccomp:          DefaultWorkerSeccomp(),
	}, nil
}

func vmSize() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmSize in /proc/self/status")
}

// outcome is what one forbidden operation returned: "EPERM", "EACCES",
// or "ok" when it was allowed.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

// lockdownResult is the lockdown worker's second line.
type lockdownResult struct {
	Ops     map[string]string `json:"ops"`
	Rlimits map[string]uint64 `json:"rlimits"` // hard limits as read back
	Caps    uint64            `json:"caps"`
}

// workerLockdown applies testLockdown and then tries, for real, what the
// cage must stop. args: a file it may not read, a directory it may not
// write, its own path.
func workerLockdown(args []string) int {
	l, err := testLockdown()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rep, err := l.Apply()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apply:", err)
		return 1
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(rep); err != nil {
		return 1
	}
	secret, dir, self := args[0], args[1], args[2]
	res := lockdownResult{Ops: map[string]string{}, Rlimits: map[string]uint64{}}
	_, err = os.ReadFile(secret)
	res.Ops["read"] = outcome(err)
	f, err := os.Create(dir + "/created")
	if err == nil {
		f.Close()
	}
	res.Ops["create"] = outcome(err)
	f, err = os.OpenFile(secret, os.O_WRONLY, 0)
	if err == nil {
		f.Close()
	}
	res.Ops["open-write"] = outcome(err)
	res.Ops["mkdir"] = outcome(os.Mkdir(dir+"/sub", 0o755))
	res.Ops["unlink"] = outcome(os.Remove(secret))
	// os.StartProcess, not exec.Command: LookPath would stop at
	// Landlock's execute check before any process is created.
	proc, err := os.StartProcess(self, []string{self, workerArg, "exit", "0"}, &os.ProcAttr{})
	if err == nil {
		_, _ = proc.Wait()
	}
	res.Ops["fork"] = outcome(err)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.Close(fd)
	}
	res.Ops["socket"] = outcome(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		ln.Close()
	}
	res.Ops["listen"] = outcome(err)
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, 0x7fffffff, uintptr(os.Getpid()), 0, 0, 0, 0)
	res.Ops["ptrace"] = outcome(errOrNil(e))
	res.Ops["unshare"] = outcome(unix.Unshare(unix.CLONE_NEWNET))
	res.Ops["mount"] = outcome(unix.Mount("none", "/tmp", "tmpfs", 0, ""))
	res.Ops["proc"] = outcome(func() error { _, err := os.ReadFile("/proc/self/status"); return err }())
	res.Ops["threads"] = outcome(threadsWork(32))
	res.Ops["goroutines-in-syscalls"] = outcome(blockedReads(16))
	for _, k := range rlimitKinds {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(k.resource, &lim); err == nil {
			res.Rlimits[k.name] = lim.Max
		}
	}
	res.Caps, _ = effectiveCaps()
	// Exec last: if it were allowed, this process would be replaced and
	// the parent would never see the result line.
	res.Ops["exec"] = outcome(syscall.Exec(self, []string{self, workerArg, "exit", "0"}, []string{}))
	if err := enc.Encode(res); err != nil {
		return 1
	}
	return 0
}

func errOrNil(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// blockedReads parks n goroutines in read(2) on pipes and then releases
// them: the runtime needs new threads to keep running meanwhile.
func blockedReads(n int) error {
	type pipe struct{ r, w int }
	var pipes []pipe
	for range n {
		var fds [2]int
		if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
			return err
		}
		pipes = append(pipes, pipe{fds[0], fds[1]})
	}
	done := make(chan error, n)
	for _, p := range pipes {
		go func() {
			var b [1]byte
			_, err := unix.Read(p.r, b[:])
			done <- err
		}()
	}
	runtime.Gosched()
	for _, p := range pipes {
		if _, err := unix.Write(p.w, []byte{1}); err != nil {
			return err
		}
	}
	var first error
	for range n {
		if err := <-done; err != nil && first == nil {
			first = err
		}
	}
	for _, p := range pipes {
		unix.Close(p.r)
		unix.Close(p.w)
	}
	return first
}

func workerVerify() int {
	l, err := testLockdown()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := l.Apply(); err != nil {
		fmt.Fprintln(os.Stderr, "apply:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(Verify()); err != nil {
		return 1
	}
	return 0
}

// workerPdeathsigParent starts a caged worker that blocks forever, tells
// the test its pid, and exits without waiting: the kernel must kill the
// worker. The worker shares this process's stdout, so the test sees EOF
// only once the worker is gone.
func workerPdeathsigParent() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer w.Close() // never written: the worker blocks on it
	er, ew, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p, err := Start(context.Background(), Spec{
		Path: self, Args: []string{self, workerArg, "block"},
		Stdin: r, Stdout: os.Stdout, Stderr: ew, Namespaces: AllNamespaces(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ew.Close()
	// Exit only once the worker runs, so the test shows it dying rather
	// than never starting.
	if l, err := bufio.NewReader(er).ReadString('\n'); err != nil || l != "blocking\n" {
		fmt.Fprintln(os.Stderr, "worker did not start:", l, err)
		return 1
	}
	fmt.Printf("%d\n", p.Pid())
	os.Exit(0)
	return 0
}
