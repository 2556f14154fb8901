package cage

import (
	"encoding/binary"
	"strings"
	"syscall"
	"testing"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
)

// seccompData builds a struct seccomp_data for x/net/bpf's VM, which loads
// words big-endian: each 32-bit word goes where the filter will look for
// it, written so the VM reads the intended value.
func seccompData(a *arch.Info, nr uint32, args ...uint64) []byte {
	b := make([]byte, offArgs+8*6)
	binary.BigEndian.PutUint32(b[offNr:], nr)
	binary.BigEndian.PutUint32(b[offArch:], uint32(a.ID))
	for i, v := range args {
		lo := argLo(i)
		hi := uint32(offArgs+8*i) + 4
		if lo != uint32(offArgs+8*i) {
			hi = uint32(offArgs + 8*i)
		}
		binary.BigEndian.PutUint32(b[lo:], uint32(v))
		binary.BigEndian.PutUint32(b[hi:], uint32(v>>32))
	}
	return b
}

func runFilter(t *testing.T, prog []bpf.Instruction, data []byte) uint32 {
	t.Helper()
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	out, err := vm.Run(data)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return uint32(out)
}

func testPolicy() *SeccompPolicy {
	return &SeccompPolicy{DenyUnknown: true, Rules: []SeccompRule{
		{Why: "no exec", Errno: syscall.EPERM, Syscalls: []string{"execve", "fork"}},
		{Why: "threads only", Errno: syscall.EPERM, Syscalls: []string{"clone"}, When: []ArgCond{{Arg: 0, Op: NoBitsSet, Value: 0x10000}}},
		{Why: "read only", Errno: syscall.EACCES, Syscalls: []string{"openat"}, When: []ArgCond{{Arg: 2, Op: AnyBitsSet, Value: 0x243}}},
		{Why: "two conditions", Errno: syscall.EINVAL, Syscalls: []string{"ioctl"}, When: []ArgCond{{Arg: 0, Op: NotEqual, Value: 1}, {Arg: 1, Op: Equal, Value: 0x5412}}},
		{Why: "fallback", Errno: syscall.ENOSYS, Syscalls: []string{"clone3"}},
	}}
}

func TestSeccompCompile(t *testing.T) {
	const (
		allow  = retAllow
		kill   = retKillProcess
		eperm  = retErrno | uint32(syscall.EPERM)
		eacces = retErrno | uint32(syscall.EACCES)
		einval = retErrno | uint32(syscall.EINVAL)
		enosys = retErrno | uint32(syscall.ENOSYS)
	)
	x86 := arch.X86_64
	nr := func(a *arch.Info, name string) uint32 { return uint32(a.SyscallNames[name]) }
	tests := []struct {
		name string
		a    *arch.Info
		data []byte
		want uint32
	}{
		{"read allowed", x86, seccompData(x86, nr(x86, "read"), 0, 0, 10), allow},
		{"execve denied", x86, seccompData(x86, nr(x86, "execve")), eperm},
		{"fork denied", x86, seccompData(x86, nr(x86, "fork")), eperm},
		{"thread clone allowed", x86, seccompData(x86, nr(x86, "clone"), 0x3d0f00), allow},
		{"process clone denied", x86, seccompData(x86, nr(x86, "clone"), 0x11), eperm},
		{"clone flags in the high half do not count", x86, seccompData(x86, nr(x86, "clone"), 0x1_00000011), eperm},
		{"openat read allowed", x86, seccompData(x86, nr(x86, "openat"), 0, 0, 0x80000), allow},
		{"openat write denied", x86, seccompData(x86, nr(x86, "openat"), 0, 0, 1), eacces},
		{"openat create denied", x86, seccompData(x86, nr(x86, "openat"), 0, 0, 0x40), eacces},
		{"openat high garbage ignored like the kernel", x86, seccompData(x86, nr(x86, "openat"), 0, 0, 0xffffffff_00000000), allow},
		{"openat write with high garbage denied", x86, seccompData(x86, nr(x86, "openat"), 0, 0, 0xffffffff_00000002), eacces},
		{"ioctl both conditions", x86, seccompData(x86, nr(x86, "ioctl"), 3, 0x5412), einval},
		{"ioctl first condition fails", x86, seccompData(x86, nr(x86, "ioctl"), 1, 0x5412), allow},
		{"ioctl second condition fails", x86, seccompData(x86, nr(x86, "ioctl"), 3, 0x5413), allow},
		{"ioctl request with high garbage", x86, seccompData(x86, nr(x86, "ioctl"), 3, 0xdead0000_00005412), einval},
		{"clone3 ENOSYS", x86, seccompData(x86, nr(x86, "clone3")), enosys},
		{"newer than the table", x86, seccompData(x86, maxSyscall(x86)+1), enosys},
		{"newest in the table allowed", x86, seccompData(x86, maxSyscall(x86)), allow},
		{"x32 call killed", x86, seccompData(x86, x32Bit|nr(x86, "read")), kill},
		{"i386 convention killed", x86, func() []byte {
			b := seccompData(x86, 11)
			binary.BigEndian.PutUint32(b[offArch:], uint32(arch.I386.ID))
			return b
		}(), kill},
		{"arm64 openat write", arch.AARCH64, seccompData(arch.AARCH64, nr(arch.AARCH64, "openat"), 0, 0, 2), eacces},
		{"arm64 read", arch.AARCH64, seccompData(arch.AARCH64, nr(arch.AARCH64, "read")), allow},
		{"arm64 x86 arch killed", arch.AARCH64, seccompData(x86, nr(x86, "read")), kill},
	}
	progs := map[*arch.Info][]bpf.Instruction{}
	for _, a := range []*arch.Info{x86, arch.AARCH64} {
		prog, err := testPolicy().compile(a)
		if err != nil {
			t.Fatalf("compile(%s) = %v", a.Name, err)
		}
		if _, err := bpf.Assemble(prog); err != nil {
			t.Fatalf("Assemble(compile(%s)) = %v", a.Name, err)
		}
		progs[a] = prog
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := runFilter(t, progs[tc.a], tc.data); got != tc.want {
				t.Errorf("filter(%s) = %#x, want %#x", tc.name, got, tc.want)
			}
		})
	}
}

func TestSeccompPolicyErrors(t *testing.T) {
	rule := func(mod func(*SeccompRule)) *SeccompPolicy {
		r := SeccompRule{Why: "w", Errno: syscall.EPERM, Syscalls: []string{"read"}}
		mod(&r)
		return &SeccompPolicy{Rules: []SeccompRule{r}}
	}
	tests := []struct {
		name    string
		p       *SeccompPolicy
		wantErr string
	}{
		{"nil", nil, "nil"},
		{"no syscalls", rule(func(r *SeccompRule) { r.Syscalls = nil }), "no syscalls"},
		{"errno zero", rule(func(r *SeccompRule) { r.Errno = 0 }), "errno 0"},
		{"errno too big", rule(func(r *SeccompRule) { r.Errno = 4096 }), "errno 4096"},
		{"unknown syscall", rule(func(r *SeccompRule) { r.Syscalls = []string{"reed"} }), `unknown syscall "reed"`},
		{"duplicate", rule(func(r *SeccompRule) { r.Syscalls = []string{"read", "read"} }), "twice"},
		{"arg 6", rule(func(r *SeccompRule) { r.When = []ArgCond{{Arg: 6, Op: Equal}} }), "argument 6"},
		{"arg -1", rule(func(r *SeccompRule) { r.When = []ArgCond{{Arg: -1, Op: Equal}} }), "argument -1"},
		{"no op", rule(func(r *SeccompRule) { r.When = []ArgCond{{Arg: 0}} }), "unknown operation"},
		{"seven conditions", rule(func(r *SeccompRule) { r.When = make([]ArgCond, 7) }), "at most 6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.compile(arch.X86_64)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("compile(%s) = %v, want error containing %q", tc.name, err, tc.wantErr)
			}
		})
	}
}

// A name another architecture has is skipped, not an error: arm64 has no
// open(2), and a table written for both must build on both.
func TestSeccompOtherArchName(t *testing.T) {
	p := &SeccompPolicy{Rules: []SeccompRule{{Why: "w", Errno: syscall.EPERM, Syscalls: []string{"open", "openat"}}}}
	for _, a := range []*arch.Info{arch.X86_64, arch.AARCH64} {
		if _, err := p.compile(a); err != nil {
			t.Errorf("compile(%s) = %v, want success", a.Name, err)
		}
	}
	if got, want := p.deniedCount(arch.AARCH64), 1; got != want {
		t.Errorf("deniedCount(aarch64) = %d, want %d", got, want)
	}
	if got, want := p.deniedCount(arch.X86_64), 2; got != want {
		t.Errorf("deniedCount(x86_64) = %d, want %d", got, want)
	}
}

func TestCandidates(t *testing.T) {
	all := candidates(AllNamespaces())
	// 64 subsets, less the 24 with a PID namespace but not both user
	// and mount namespaces.
	if len(all) != 40 {
		t.Fatalf("candidates(all) = %d sets, want 40", len(all))
	}
	if all[0] != AllNamespaces() || all[len(all)-1] != (Namespaces{}) {
		t.Errorf("candidates(all) runs %v .. %v, want all .. none", all[0], all[len(all)-1])
	}
	// Every set with the network namespace comes before any without.
	lostNet := false
	for _, ns := range all {
		if ns.PID && !(ns.User && ns.Mount) {
			t.Errorf("candidates(all) has %v: a PID namespace without user and mount", ns)
		}
		if !ns.Net {
			lostNet = true
		} else if lostNet {
			t.Fatalf("candidates(all): %v after a set without net", ns)
		}
	}
	some := candidates(Namespaces{Net: true, PID: true})
	want := []Namespaces{{Net: true}, {}}
	if len(some) != len(want) {
		t.Fatalf("candidates(net,pid) = %v, want %v", some, want)
	}
	for i := range want {
		if some[i] != want[i] {
			t.Errorf("candidates(net,pid)[%d] = %v, want %v", i, some[i], want[i])
		}
	}
	if got := (Namespaces{User: true, Net: true}).String(); got != "net,user" {
		t.Errorf("String = %q, want %q", got, "net,user")
	}
	if got := (Namespaces{}).String(); got != "none" {
		t.Errorf("String = %q, want %q", got, "none")
	}
}

func TestExitString(t *testing.T) {
	tests := []struct {
		e    Exit
		want string
	}{
		{Exit{Code: 0}, "exit status 0"},
		{Exit{Code: 3}, "exit status 3"},
		{Exit{Code: -1, Signal: "SIGSEGV"}, "killed by SIGSEGV"},
		{Exit{Code: -1, Signal: "SIGKILL", TimedOut: true}, "killed: wall-clock timeout"},
		{Exit{Code: -1, Signal: "SIGKILL", Killed: true}, "killed by the parent"},
	}
	for _, tc := range tests {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("Exit(%+v).String() = %q, want %q", tc.e, got, tc.want)
		}
	}
}
