package escalate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Pending is one request waiting for an answer, as `ironcurtain
// escalations` lists it.
type Pending struct {
	// N numbers the list from 1 in (Created, ID) order. It is only a
	// position: a request answered in between shifts the ones after it,
	// so a caller acting later should hold on to Request.ID as well.
	N       int
	Request Request
	Path    string // the request file
	Created time.Time
	Expires time.Time
}

// ListPending lists the pending requests of every session under home, in
// (Created, ID) order. It creates nothing: a missing <home> or sessions
// directory means none. Requests that have expired, that have been
// answered (a valid answer file is waiting to be read) or whose file is not one we could
// have written (wrong owner or mode, a symlink, malformed) are left out;
// a directory on the way that another user could write to is an error.
func ListPending(home string) ([]Pending, error) {
	if !filepath.IsAbs(home) {
		return nil, fmt.Errorf("home %q is not an absolute path", home)
	}
	home = filepath.Clean(home)
	for _, d := range []string{home, sessionsDir(home)} {
		if err := secureDir(d, false); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, fmt.Errorf("list escalations: %w", err)
		}
	}
	sessions, err := os.ReadDir(sessionsDir(home))
	if err != nil {
		return nil, fmt.Errorf("list escalations: %w", err)
	}
	now := time.Now()
	var out []Pending
	for _, s := range sessions {
		if !validName(s.Name()) || !s.IsDir() {
			continue
		}
		dir, err := secureEscalationsDir(home, s.Name(), false)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list escalations: %w", err)
		}
		ps, err := listDir(dir, s.Name(), now)
		if err != nil {
			return nil, fmt.Errorf("list escalations: %w", err)
		}
		out = append(out, ps...)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		if out[i].Request.ID != out[j].Request.ID {
			return out[i].Request.ID < out[j].Request.ID
		}
		return out[i].Request.SessionID < out[j].Request.SessionID
	})
	for i := range out {
		out[i].N = i + 1
	}
	return out, nil
}

func listDir(dir, sessionID string, now time.Time) ([]Pending, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Pending
	for _, e := range entries {
		name := e.Name()
		id, ok := strings.CutPrefix(name, requestPrefix)
		if !ok {
			continue
		}
		id, ok = strings.CutSuffix(id, fileSuffix)
		if !ok || !validName(id) {
			continue
		}
		if answered(filepath.Join(dir, responseName(id))) {
			continue
		}
		path := filepath.Join(dir, name)
		data, _, err := readOwnedFile(path, maxRequestSize)
		if err != nil {
			continue // gone since ReadDir, or not ours to show
		}
		pr, err := parseRequest(path, data)
		if err != nil || pr.req.ID != id || pr.req.SessionID != sessionID || !now.Before(pr.expires) {
			continue
		}
		out = append(out, Pending{Request: pr.req, Path: path, Created: pr.created, Expires: pr.expires})
	}
	return out, nil
}
