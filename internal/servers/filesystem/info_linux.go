package filesystem

import (
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type times struct{ accessed time.Time }

func fileTimes(fi fs.FileInfo) times {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return times{accessed: time.Unix(st.Atim.Unix())}
	}
	return times{accessed: fi.ModTime()}
}

// birthTime reads the creation time with statx on an open descriptor, so
// the file is the one os.Root resolved, not whatever the name points to by
// the time of a second lookup.
func birthTime(rd *rootDir, rel string) (time.Time, bool) {
	f, err := rd.root.OpenFile(rel, os.O_RDONLY|noBlockFlags, 0)
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	conn, err := f.SyscallConn()
	if err != nil {
		return time.Time{}, false
	}
	var stx unix.Statx_t
	var serr error
	if err := conn.Control(func(fd uintptr) {
		serr = unix.Statx(int(fd), "", unix.AT_EMPTY_PATH, unix.STATX_BTIME, &stx)
	}); err != nil || serr != nil || stx.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}, false
	}
	return time.Unix(stx.Btime.Sec, int64(stx.Btime.Nsec)), true
}
