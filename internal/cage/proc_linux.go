//go:build linux

package cage

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

const (
	// initUserNSIno is PROC_USER_INIT_INO: the kernel gives the initial
	// user namespace this fixed inode number.
	initUserNSIno = 0xEFFFFFFD
	// nsGetUserNS is NS_GET_USERNS (linux/nsfs.h): the user namespace
	// that owns a namespace.
	nsGetUserNS = 0xb701
)

// procMatches reports whether /proc shows this process under the pid it
// has. It does not in a PID namespace whose /proc is still the parent's.
func procMatches() bool {
	s, err := os.Readlink("/proc/self")
	return err == nil && s == strconv.Itoa(os.Getpid())
}

// fixProc makes /proc describe this process's own PID namespace, which the
// layers applied to every thread need: psx finds the threads to signal in
// /proc/<getpid()>/task, and in a PID namespace that path names another
// process of the parent's /proc, so psx would wait forever for threads
// that are not ours. It returns whether it mounted anything.
//
// It mounts only where it cannot touch the host: in a mount namespace
// owned by this process's own user namespace, which is not the initial
// one. cage.Start gives a PID namespace only together with both.
func fixProc() (bool, error) {
	if procMatches() {
		return false, nil
	}
	user, err := nsInode("self", "user")
	if err != nil {
		return false, fmt.Errorf("/proc does not match this PID namespace, and its user namespace cannot be read: %w", err)
	}
	if user == initUserNSIno {
		return false, errors.New("/proc does not match this PID namespace, and without a user namespace of its own the process will not mount over it")
	}
	owner, err := mountNSOwner()
	if err != nil {
		return false, fmt.Errorf("/proc does not match this PID namespace: %w", err)
	}
	if owner != user {
		return false, errors.New("/proc does not match this PID namespace, and the mount namespace is not this process's own")
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return false, fmt.Errorf("mount a /proc for this PID namespace: %w", err)
	}
	if !procMatches() {
		return false, errors.New("mounted a /proc for this PID namespace, and it still shows another pid")
	}
	return true, nil
}

// mountNSOwner returns the inode of the user namespace owning this
// process's mount namespace.
func mountNSOwner() (uint64, error) {
	fd, err := unix.Open("/proc/self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("open mount namespace: %w", err)
	}
	defer unix.Close(fd)
	ufd, err := unix.IoctlRetInt(fd, nsGetUserNS)
	if err != nil {
		return 0, fmt.Errorf("owner of the mount namespace: %w", err)
	}
	defer unix.Close(ufd)
	var st unix.Stat_t
	if err := unix.Fstat(ufd, &st); err != nil {
		return 0, fmt.Errorf("owner of the mount namespace: %w", err)
	}
	return st.Ino, nil
}
