package compile

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// MaxConstitutionBytes bounds a constitution: anything longer is not a
// statement of intent a person wrote, and would crowd the prompts.
const MaxConstitutionBytes = 256 << 10

// CheckConstitution refuses constitution text that cannot be compiled:
// empty (or only whitespace), larger than MaxConstitutionBytes, not UTF-8,
// or holding NUL bytes. name labels the error.
func CheckConstitution(name string, data []byte) error {
	switch {
	case len(data) > MaxConstitutionBytes:
		return fmt.Errorf("constitution %s: %d bytes, larger than the limit of %d", name, len(data), MaxConstitutionBytes)
	case len(bytes.TrimSpace(data)) == 0:
		return fmt.Errorf("constitution %s is empty", name)
	case !utf8.Valid(data):
		return fmt.Errorf("constitution %s is not valid UTF-8", name)
	case bytes.IndexByte(data, 0) >= 0:
		return fmt.Errorf("constitution %s contains a NUL byte", name)
	}
	return nil
}
