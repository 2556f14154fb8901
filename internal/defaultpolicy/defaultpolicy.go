package defaultpolicy

import (
	"embed"
	"io/fs"
)

//go:embed files
var files embed.FS

// File names, the same as in a compiled policy directory.
const (
	Constitution = "constitution.md"
	Policy       = "compiled-policy.json"
	Lists        = "dynamic-lists.json"
	Annotations  = "tool-annotations.json"
	Scenarios    = "test-scenarios.json"
)

// FS returns the default policy directory.
func FS() fs.FS {
	sub, err := fs.Sub(files, "files")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// Read returns one file of the default policy; name is one of the
// constants above.
func Read(name string) ([]byte, error) { return fs.ReadFile(FS(), name) }
