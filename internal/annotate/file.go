package annotate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// serverOut is one server's part of the file being written.
type serverOut struct {
	InputHash string
	Tools     []json.RawMessage // rendered tool entries, sorted by name
}

// existingServer is one server's part of the file already on disk.
type existingServer struct {
	inputHash string
	tools     map[string]*jsondoc.Value
	raw       *jsondoc.Value // the whole server object, kept for servers this run leaves alone
}

// parseExisting validates the current file as the engine would and indexes
// it; a file the engine refuses is not silently replaced.
func parseExisting(data []byte) (map[string]*existingServer, error) {
	if _, err := policy.ParseAnnotations("existing tool-annotations.json", data); err != nil {
		return nil, err
	}
	root, err := jsondoc.Parse(data, policy.MaxFileSize)
	if err != nil {
		return nil, err // unreachable: ParseAnnotations parsed it
	}
	out := map[string]*existingServer{}
	for _, sm := range root.Get("servers").Members {
		es := &existingServer{tools: map[string]*jsondoc.Value{}, raw: sm.Value}
		if h := sm.Value.Get("inputHash"); h != nil && h.Kind == jsondoc.String {
			es.inputHash = h.Text
		}
		for _, t := range sm.Value.Get("tools").Items {
			es.tools[t.Get("toolName").Text] = t
		}
		out[sm.Key] = es
	}
	return out, nil
}

// canonicalJSON re-encodes JSON with sorted keys and no spacing, so two
// schemas that differ only in layout hash the same.
func canonicalJSON(raw []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// toolHash is the cache key of one tool: everything the model sees of it,
// plus the prompt version.
func toolHash(t ToolInfo, canonSchema string) string {
	h := sha256.New()
	for _, s := range []string{promptVersion, t.Server, t.Name, t.Description, canonSchema} {
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// serverHash covers a server's whole tool set: equal hashes mean nothing
// the model would see has changed.
func serverHash(tools []*pending) string {
	lines := make([]string, 0, len(tools))
	for _, t := range tools {
		lines = append(lines, t.info.Name+" "+t.hash)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// renderFile writes the annotations file, servers sorted by name.
func renderFile(generatedAt string, servers map[string]*serverOut) ([]byte, error) {
	names := make([]string, 0, len(servers))
	for n := range servers {
		names = append(names, n)
	}
	slices.Sort(names)
	var b bytes.Buffer
	b.WriteString(`{"generatedAt":`)
	b.Write(mustJSON(generatedAt))
	b.WriteString(`,"servers":{`)
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		s := servers[n]
		b.Write(mustJSON(n))
		b.WriteString(`:{`)
		if s.InputHash != "" {
			b.WriteString(`"inputHash":`)
			b.Write(mustJSON(s.InputHash))
			b.WriteByte(',')
		}
		b.WriteString(`"tools":[`)
		for j, t := range s.Tools {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(t)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`}}`)
	var out bytes.Buffer
	if err := json.Indent(&out, b.Bytes(), "", " "); err != nil {
		return nil, fmt.Errorf("render annotations: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// WriteFile replaces path with data atomically (a temporary file in the
// same directory, synced, then renamed), after checking that the engine
// accepts data: a reader never sees a half-written or invalid file.
func WriteFile(path string, data []byte) error {
	if _, err := policy.ParseAnnotations(path, data); err != nil {
		return fmt.Errorf("refusing to write: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".tool-annotations-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
