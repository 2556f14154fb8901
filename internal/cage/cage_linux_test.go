//go:build linux

package cage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == workerArg {
		os.Exit(runWorker(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func self(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startWorker starts the test binary caged in the given mode. Its stdout
// is a pipe the test reads line by line; closing stdin lets a blocking
// worker go.
type worker struct {
	p     *Process
	out   *bufio.Reader
	in    *os.File
	errb  *bytes.Buffer
	outRd *os.File
}

func startWorker(t *testing.T, ctx context.Context, s Spec, mode ...string) *worker {
	t.Helper()
	exe := self(t)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	s.Path = exe
	s.Args = append([]string{exe, workerArg}, mode...)
	s.Stdin, s.Stdout = inR, outW
	errb := &bytes.Buffer{}
	s.Stderr = errb
	p, err := Start(ctx, s)
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		t.Fatalf("Start(%v) = %v", mode, err)
	}
	w := &worker{p: p, out: bufio.NewReader(outR), in: inW, errb: errb, outRd: outR}
	t.Cleanup(func() {
		p.Kill()
		_, _ = p.Wait()
		inW.Close()
		outR.Close()
	})
	return w
}

// line reads the worker's next line of output into v.
func (w *worker) line(t *testing.T, v any) {
	t.Helper()
	b, err := w.out.ReadBytes('\n')
	if err != nil {
		ex, werr := w.p.Wait()
		t.Fatalf("worker output: %v (worker %v, %v; stderr %q)", err, ex, werr, w.errb.String())
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("worker output %q: %v", b, err)
	}
}

func (w *worker) wait(t *testing.T) Exit {
	t.Helper()
	w.in.Close()
	ex, err := w.p.Wait()
	if err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	return ex
}

func TestProbe(t *testing.T) {
	r := Probe()
	for _, it := range r.Items {
		t.Logf("%-14s %-5v %s", it.Name, it.Applied, it.Detail)
	}
	for _, name := range []string{"ns.user", "ns.mnt", "ns.pid", "ns.ipc", "ns.net", "ns.uts", "seccomp", "landlock",
		"no_new_privs", "capabilities", "rlimit.as", "rlimit.cpu", "rlimit.nofile", "rlimit.nproc"} {
		if _, ok := r.Get(name); !ok {
			t.Errorf("Probe() has no item %q", name)
		}
	}
}

// requireProbe skips when the kernel truly lacks a layer the test needs.
func requireProbe(t *testing.T, names ...string) {
	t.Helper()
	r := Probe()
	for _, n := range names {
		if it, _ := r.Get(n); !it.Applied {
			t.Skipf("this kernel lacks %s: %s", n, it.Detail)
		}
	}
}

func TestStartNamespacesEnvFDs(t *testing.T) {
	requireProbe(t, "ns.user", "ns.net")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// A descriptor the parent holds without close-on-exec, as one
	// inherited from a careless parent would be: it must not reach the
	// child.
	leak, err := unix.Open(os.DevNull, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(leak)

	w := startWorker(t, context.Background(), Spec{Namespaces: AllNamespaces(), Timeout: time.Minute}, "inspect", ln.Addr().String())
	var in inspection
	w.line(t, &in)
	t.Logf("worker sees: %+v", in)

	applied := w.p.Applied()
	if want := Probe(); applied.Net != want.Applied("ns.net") || applied.User != want.Applied("ns.user") {
		t.Errorf("Applied() = %v, but Probe says net %v user %v", applied, want.Applied("ns.net"), want.Applied("ns.user"))
	}
	outside := w.p.CheckNamespaces()
	for _, k := range nsKinds {
		mine, err := nsInode("self", k.name)
		if err != nil {
			t.Fatal(err)
		}
		asked := *k.get(&applied)
		if got := in.NS[k.name] != mine; got != asked {
			t.Errorf("worker %s namespace inode %d, parent %d: own namespace = %v, want %v", k.name, in.NS[k.name], mine, got, asked)
		}
		if got := outside.Applied("ns." + k.name); got != asked {
			t.Errorf("CheckNamespaces() ns.%s = %v, want %v", k.name, got, asked)
		}
	}
	if applied.PID && in.Pid != 1 {
		t.Errorf("worker pid = %d in its own PID namespace, want 1", in.Pid)
	}
	if len(in.Env) != 0 {
		t.Errorf("worker environment = %q, want empty", in.Env)
	}
	if in.Cwd != "/" {
		t.Errorf("worker cwd = %q, want /", in.Cwd)
	}
	for fd, target := range in.FDs {
		n, _ := strconv.Atoi(fd)
		// The Go runtime opens its own by now: epoll, eventfd, and the
		// cgroup CPU limit files it watches for GOMAXPROCS.
		own := strings.HasPrefix(target, "anon_inode:") || strings.HasPrefix(target, "/sys/fs/cgroup/")
		if n > 2 && !own || target == os.DevNull {
			t.Errorf("worker has descriptor %s → %s, want only 0, 1, 2 and the Go runtime's own", fd, target)
		}
	}
	for _, fd := range []string{"0", "1", "2"} {
		if _, ok := in.FDs[fd]; !ok {
			t.Errorf("worker lacks descriptor %s", fd)
		}
	}
	if applied.Net {
		if len(in.Ifaces) != 1 || in.Ifaces[0] != "lo down" {
			t.Errorf("worker interfaces = %q, want [lo down]", in.Ifaces)
		}
		if in.Connect == "connected" {
			t.Errorf("worker connected to the parent's %s", ln.Addr())
		}
	}
	if ex := w.wait(t); ex != (Exit{Code: 0}) {
		t.Errorf("inspect worker exit = %+v, want code 0", ex)
	}
}

func TestLockdownInWorker(t *testing.T) {
	requireProbe(t, "seccomp", "landlock")
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("host data"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := startWorker(t, context.Background(), Spec{Namespaces: AllNamespaces(), Timeout: time.Minute},
		"lockdown", secret, dir, self(t))
	var rep Report
	w.line(t, &rep)
	for _, it := range rep.Items {
		t.Logf("apply: %-14s %-5v %s", it.Name, it.Applied, it.Detail)
	}
	for _, name := range []string{"rlimit.as", "rlimit.cpu", "rlimit.nofile", "rlimit.nproc", "capabilities", "no_new_privs", "landlock", "seccomp"} {
		if !rep.Applied(name) {
			t.Errorf("Apply() item %s not applied", name)
		}
	}
	var res lockdownResult
	w.line(t, &res)
	want := map[string]string{
		"read":                   "EACCES", // Landlock
		"create":                 "EPERM",  // seccomp: openat with O_CREAT
		"open-write":             "EPERM",
		"mkdir":                  "EPERM",
		"unlink":                 "EPERM",
		"fork":                   "EPERM",
		"socket":                 "EPERM",
		"listen":                 "EPERM",
		"ptrace":                 "EPERM",
		"unshare":                "EPERM",
		"mount":                  "EPERM",
		"proc":                   "EACCES",
		"exec":                   "EPERM",
		"threads":                "ok",
		"goroutines-in-syscalls": "ok",
	}
	for op, w := range want {
		if got := res.Ops[op]; got != w {
			t.Errorf("worker %s after Apply = %s, want %s", op, got, w)
		} else {
			t.Logf("worker %s: %s", op, got)
		}
	}
	if res.Rlimits["rlimit.cpu"] != 60 || res.Rlimits["rlimit.nofile"] != 64 || res.Rlimits["rlimit.nproc"] != 4096 || res.Rlimits["rlimit.as"] == 0 {
		t.Errorf("worker rlimits = %v, want cpu 60, nofile 64, nproc 4096, as set", res.Rlimits)
	}
	if res.Caps != 0 {
		t.Errorf("worker effective capabilities = %#x, want 0", res.Caps)
	}
	if ex := w.wait(t); ex != (Exit{Code: 0}) {
		t.Errorf("lockdown worker exit = %+v, want code 0 (stderr %q)", ex, w.errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "created")); err == nil {
		t.Errorf("worker created a file in %s", dir)
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "host data" {
		t.Errorf("secret after worker = %q, %v; want it untouched", b, err)
	}
}

func TestVerifyInWorker(t *testing.T) {
	requireProbe(t, "seccomp", "landlock")
	w := startWorker(t, context.Background(), Spec{Namespaces: AllNamespaces(), Timeout: time.Minute}, "verify")
	b, err := w.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("verify worker: %v (stderr %q)", err, w.errb.String())
	}
	rep, err := DecodeReport(b)
	if err != nil {
		t.Fatalf("DecodeReport(%q) = %v", b, err)
	}
	for _, it := range rep.Items {
		t.Logf("%-14s %-5v %s", it.Name, it.Applied, it.Detail)
		if !it.Applied {
			t.Errorf("Verify() %s = %s, want refused", it.Name, it.Detail)
		}
	}
	if len(rep.Items) < 8 {
		t.Errorf("Verify() = %d items, want 8", len(rep.Items))
	}
	w.wait(t)
}

func TestWallClockKill(t *testing.T) {
	w := startWorker(t, context.Background(), Spec{Namespaces: AllNamespaces(), Timeout: 500 * time.Millisecond}, "spin")
	// On a loaded machine the clock may run out before the worker
	// speaks; either way it must end timed out.
	if l, err := w.out.ReadString('\n'); err == nil && l != "spinning\n" {
		t.Fatalf("spin worker said %q", l)
	}
	ex := w.wait(t)
	if !ex.TimedOut || ex.Killed || ex.Signal != "SIGKILL" || ex.Code != -1 {
		t.Errorf("spinning worker with a 500ms wall clock: Wait() = %+v, want TimedOut by SIGKILL", ex)
	}
}

func TestKillAndContext(t *testing.T) {
	t.Run("Kill", func(t *testing.T) {
		w := startWorker(t, context.Background(), Spec{Timeout: time.Minute}, "block")
		if l, _ := w.out.ReadString('\n'); l != "blocking\n" {
			t.Fatalf("block worker said %q", l)
		}
		w.p.Kill()
		w.p.Kill() // idempotent
		ex, err := w.p.Wait()
		if err != nil || !ex.Killed || ex.TimedOut || ex.Signal != "SIGKILL" {
			t.Errorf("Kill(): Wait() = %+v, %v; want Killed by SIGKILL", ex, err)
		}
		if ex2, _ := w.p.Wait(); ex2 != ex {
			t.Errorf("second Wait() = %+v, want %+v", ex2, ex)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		w := startWorker(t, ctx, Spec{}, "block")
		if l, _ := w.out.ReadString('\n'); l != "blocking\n" {
			t.Fatalf("block worker said %q", l)
		}
		cancel()
		ex, err := w.p.Wait()
		if err != nil || !ex.Killed || ex.Signal != "SIGKILL" {
			t.Errorf("cancel(): Wait() = %+v, %v; want Killed by SIGKILL", ex, err)
		}
	})
	t.Run("exit status", func(t *testing.T) {
		w := startWorker(t, context.Background(), Spec{Namespaces: AllNamespaces(), Timeout: time.Minute}, "exit", "3")
		if ex := w.wait(t); ex != (Exit{Code: 3}) {
			t.Errorf("exit 3 worker: Wait() = %+v, want code 3", ex)
		}
	})
}

func TestStartErrors(t *testing.T) {
	exe := self(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		s       Spec
		wantErr string
	}{
		{"relative path", context.Background(), Spec{Path: "ironcurtain"}, "not absolute"},
		{"missing", context.Background(), Spec{Path: "/nonexistent/ironcurtain"}, "no such file"},
		{"directory", context.Background(), Spec{Path: "/"}, "not a regular file"},
		{"not executable", context.Background(), Spec{Path: "/etc/passwd"}, "permission denied"},
		{"negative timeout", context.Background(), Spec{Path: exe, Timeout: -time.Second}, "negative timeout"},
		{"canceled", canceled, Spec{Path: exe}, "canceled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Start(tc.ctx, tc.s)
			if err == nil {
				p.Kill()
				_, _ = p.Wait()
				t.Fatalf("Start(%+v) succeeded, want error containing %q", tc.s, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Start(%+v) = %v, want error containing %q", tc.s, err, tc.wantErr)
			}
		})
	}
}

// TestPdeathsig: a caged worker dies with the process that started it,
// even when that process exits without waiting.
func TestPdeathsig(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(self(t), workerArg, "pdeathsig-parent")
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("intermediate parent: %v", err)
	}
	// The worker holds the pipe's write end; EOF means it is gone. The
	// deadline only turns a failure into an error instead of a hang:
	// nothing else tells a process about the death of one not its child.
	if err := r.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	out, err := readAll(r)
	if err != nil {
		t.Fatalf("worker still holds the pipe after its parent exited: %v (output %q)", err, out)
	}
	if !strings.Contains(out, "blocking") {
		t.Errorf("worker output %q, want it to have started before its parent exited", out)
	}
}

func readAll(r *os.File) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.String(), err
}
