package cage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"
)

// Seccomp return values (linux/seccomp.h), kept here so the compiler and
// its tests build on any system.
const (
	retKillProcess = 0x80000000
	retErrno       = 0x00050000
	retAllow       = 0x7fff0000
	retData        = 0x0000ffff

	maxInsns = 4096 // BPF_MAXINSNS: the kernel refuses longer filters

	// x32 syscalls on x86-64 carry this bit; the x86-64 arch value does
	// not tell them apart.
	x32Bit = 0x40000000

	// Offsets in struct seccomp_data.
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// auditArchX8664 is AUDIT_ARCH_X86_64: the architecture with an x32 ABI
// under the same arch value.
const auditArchX8664 = 0xc000003e

// knownArches are the syscall tables a rule's names are checked against.
var knownArches = []*arch.Info{arch.X86_64, arch.AARCH64, arch.I386, arch.ARM, arch.X32}

// resolvedRule is a rule with its names turned into this architecture's
// numbers.
type resolvedRule struct {
	SeccompRule
	nrs   []uint32
	names []string // of nrs, same order
}

// resolve checks the policy and maps names to numbers for a.
func (p *SeccompPolicy) resolve(a *arch.Info) ([]resolvedRule, error) {
	if p == nil {
		return nil, errors.New("seccomp policy is nil")
	}
	var out []resolvedRule
	for i, r := range p.Rules {
		where := fmt.Sprintf("seccomp rule %d (%s)", i, r.Why)
		if len(r.Syscalls) == 0 {
			return nil, fmt.Errorf("%s: no syscalls", where)
		}
		if r.Errno < 1 || r.Errno > 4095 {
			return nil, fmt.Errorf("%s: errno %d outside 1..4095", where, int(r.Errno))
		}
		if len(r.When) > 6 {
			return nil, fmt.Errorf("%s: %d conditions, at most 6", where, len(r.When))
		}
		for j, c := range r.When {
			if c.Arg < 0 || c.Arg > 5 {
				return nil, fmt.Errorf("%s: condition %d: argument %d outside 0..5", where, j, c.Arg)
			}
			if c.Op < Equal || c.Op > NoBitsSet {
				return nil, fmt.Errorf("%s: condition %d: unknown operation %d", where, j, uint8(c.Op))
			}
		}
		rr := resolvedRule{SeccompRule: r}
		seen := map[string]bool{}
		for _, name := range r.Syscalls {
			if seen[name] {
				return nil, fmt.Errorf("%s: %s listed twice", where, name)
			}
			seen[name] = true
			nr, ok := a.SyscallNames[name]
			if !ok {
				if !anyArchHas(name) {
					return nil, fmt.Errorf("%s: unknown syscall %q", where, name)
				}
				continue
			}
			rr.nrs = append(rr.nrs, uint32(nr|a.SeccompMask))
			rr.names = append(rr.names, name)
		}
		out = append(out, rr)
	}
	return out, nil
}

func anyArchHas(name string) bool {
	for _, a := range knownArches {
		if _, ok := a.SyscallNames[name]; ok {
			return true
		}
	}
	return false
}

// maxSyscall is the highest syscall number in a's table.
func maxSyscall(a *arch.Info) uint32 {
	m := 0
	for nr := range a.SyscallNumbers {
		m = max(m, nr)
	}
	return uint32(m)
}

// argLo is the offset of the low 32 bits of argument i.
func argLo(i int) uint32 {
	off := uint32(offArgs + 8*i)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		off += 4
	}
	return off
}

// compile turns the policy into a BPF program for a. The program only
// jumps forward over short distances: every syscall gets its own block,
// which ends in a return or falls through to the next block, so no jump
// can exceed the 255 instructions a conditional jump can skip.
func (p *SeccompPolicy) compile(a *arch.Info) ([]bpf.Instruction, error) {
	rules, err := p.resolve(a)
	if err != nil {
		return nil, err
	}
	kill := bpf.RetConstant{Val: retKillProcess}
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: offArch, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(a.ID), SkipTrue: 1},
		kill,
		bpf.LoadAbsolute{Off: offNr, Size: 4},
	}
	if uint32(a.ID) == auditArchX8664 {
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: x32Bit, SkipFalse: 1}, kill)
	}
	if p.DenyUnknown {
		prog = append(prog,
			bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: maxSyscall(a), SkipFalse: 1},
			bpf.RetConstant{Val: retErrno | uint32(syscall.ENOSYS)})
	}
	for _, r := range rules {
		ret := bpf.RetConstant{Val: retErrno | uint32(r.Errno)&retData}
		for _, nr := range r.nrs {
			if len(r.When) == 0 {
				prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipFalse: 1}, ret)
				continue
			}
			n := len(r.When)
			// Block: jeq nr; (load arg, test)*n; ret; reload nr.
			prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipFalse: uint8(2*n + 2)})
			for c, cond := range r.When {
				toReload := uint8(2*(n-c) - 1)
				prog = append(prog, bpf.LoadAbsolute{Off: argLo(cond.Arg), Size: 4}, condJump(cond, toReload))
			}
			prog = append(prog, ret, bpf.LoadAbsolute{Off: offNr, Size: 4})
		}
	}
	prog = append(prog, bpf.RetConstant{Val: retAllow})
	if len(prog) > maxInsns {
		return nil, fmt.Errorf("seccomp filter: %d instructions, the kernel takes at most %d", len(prog), maxInsns)
	}
	return prog, nil
}

// condJump falls through when the condition holds and skips to the block's
// reload when it does not.
func condJump(c ArgCond, skip uint8) bpf.JumpIf {
	test := map[CondOp]bpf.JumpTest{
		Equal:      bpf.JumpEqual,
		NotEqual:   bpf.JumpNotEqual,
		AnyBitsSet: bpf.JumpBitsSet,
		NoBitsSet:  bpf.JumpBitsNotSet,
	}[c.Op]
	return bpf.JumpIf{Cond: test, Val: c.Value, SkipFalse: skip}
}

// describe renders the resolved table for a, one syscall a line, for
// golden files and doctor output.
func (p *SeccompPolicy) describe(a *arch.Info) (string, error) {
	rules, err := p.resolve(a)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# arch %s; other calling conventions kill the process\n", a.Name)
	if p.DenyUnknown {
		fmt.Fprintf(&b, "> %d ENOSYS  # newer than this table\n", maxSyscall(a))
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "# %s\n", r.Why)
		for i, nr := range r.nrs {
			line := fmt.Sprintf("%d %s %s", nr, r.names[i], errnoName(r.Errno))
			if len(r.When) > 0 {
				conds := make([]string, len(r.When))
				for j, c := range r.When {
					conds[j] = c.String()
				}
				line += " if " + strings.Join(conds, " && ")
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String(), nil
}

// deniedCount is how many syscall numbers the policy names for a.
func (p *SeccompPolicy) deniedCount(a *arch.Info) int {
	rules, err := p.resolve(a)
	if err != nil {
		return 0
	}
	set := map[uint32]bool{}
	for _, r := range rules {
		for _, nr := range r.nrs {
			set[nr] = true
		}
	}
	return len(set)
}

// errnoNames spells the errnos tables use; others print as numbers.
var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.EACCES: "EACCES", syscall.ENOSYS: "ENOSYS",
	syscall.EINVAL: "EINVAL", syscall.EROFS: "EROFS",
}

func errnoName(e syscall.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("errno%d", int(e))
}
