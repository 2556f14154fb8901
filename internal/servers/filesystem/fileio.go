package filesystem

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// maxReadBytes bounds what one tool call reads into memory: a whole file
// for the text and media tools, the combined output of
// read_multiple_files, and the bytes scanned for head or tail.
const maxReadBytes = 10 << 20

// noBlockFlags keep an open from blocking or acquiring a terminal. A
// planted FIFO would otherwise hang the server on open; the regular-file
// check after opening turns it away.
const noBlockFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY

// tooLargeError reports that a read would pass the limit.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	if e.limit >= 1<<20 && e.limit%(1<<20) == 0 {
		return fmt.Sprintf("over the %d MiB limit", e.limit>>20)
	}
	return fmt.Sprintf("over the %d byte limit", e.limit)
}

// opError reports a failed filesystem operation on the path the caller
// gave. The os error's own path is dropped: it is relative to the root and
// would read as a different file.
func opError(op, p string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("%s %s: %w", op, p, err)
}

// openRegular opens rel for reading and returns it only if it is a regular
// file. Symlinks are followed within the root only.
func openRegular(rd *rootDir, rel string) (*os.File, fs.FileInfo, error) {
	fi, err := rd.root.Stat(rel)
	if err != nil {
		return nil, nil, err
	}
	// Checked before opening too, so that a device node is never opened:
	// opening some devices has effects of its own.
	if !fi.Mode().IsRegular() {
		return nil, nil, errors.New("not a regular file")
	}
	f, err := rd.root.OpenFile(rel, os.O_RDONLY|noBlockFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err = f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		// Swapped between the two checks.
		_ = f.Close()
		return nil, nil, errors.New("not a regular file")
	}
	return f, fi, nil
}

// readRegular reads a whole regular file of at most limit bytes.
func readRegular(rd *rootDir, rel string, limit int64) ([]byte, error) {
	f, fi, err := openRegular(rd, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, fmt.Errorf("file is %d bytes, %w", fi.Size(), &tooLargeError{limit})
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("file grew while being read, %w", &tooLargeError{limit})
	}
	return data, nil
}

// writeAtomic replaces rel's content with data. A regular file (or a new
// one) is written to a temporary file in the same directory and renamed
// over the old name, so readers never see half a file and a hard link to
// the old inode is left untouched. A symlink is written through in place,
// because replacing it would silently turn it into a file; os.Root refuses
// it if it leads out of the root.
func writeAtomic(rd *rootDir, rel string, data []byte) error {
	perm := fs.FileMode(0o644)
	keepPerm := false
	fi, err := rd.root.Lstat(rel)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return writeInPlace(rd, rel, data)
	case err == nil && fi.IsDir():
		return errors.New("is a directory")
	case err == nil && !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	case err == nil:
		perm, keepPerm = fi.Mode().Perm(), true
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	if rel == "." {
		return errors.New("is a directory")
	}
	// Split without cleaning: rel may hold "..", and the temporary file
	// must land in the directory os.Root resolves rel's parent to, or the
	// rename would cross directories.
	dir, base := ".", rel
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		dir, base = rel[:i], rel[i+1:]
	}
	tmp := joinChild(dir, "."+base+"."+rand.Text()[:12]+".tmp")
	f, err := rd.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && keepPerm {
		// The umask applied at creation; the old file's bits win.
		err = rd.root.Chmod(tmp, perm)
	}
	if err == nil {
		err = rd.root.Rename(tmp, rel)
	}
	if err != nil {
		_ = rd.root.Remove(tmp)
		return err
	}
	return nil
}

func writeInPlace(rd *rootDir, rel string, data []byte) error {
	fi, err := rd.root.Stat(rel)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errors.New("symlink does not lead to a regular file")
	}
	f, err := rd.root.OpenFile(rel, os.O_WRONLY|os.O_TRUNC|noBlockFlags, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
